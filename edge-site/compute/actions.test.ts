import { describe, expect, it } from 'vitest';
import { computeHarness } from './testing/harness.ts';

describe('server actions', () => {
  it('runs every power action through the agent and lands in Nova’s states', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const act = async (body: unknown) => {
      const r = await h.req('POST', `/servers/${id}/action`, { body });
      await h.compute.settled();
      const s = (await h.req('GET', `/servers/${id}`)).json.server;
      return [r.status, s.status, s['OS-EXT-STS:power_state']];
    };
    expect(await act({ 'os-stop': null })).toEqual([202, 'SHUTOFF', 4]);
    expect(await act({ 'os-start': null })).toEqual([202, 'ACTIVE', 1]);
    expect(await act({ reboot: { type: 'SOFT' } })).toEqual([202, 'ACTIVE', 1]);
    expect(await act({ reboot: { type: 'HARD' } })).toEqual([202, 'ACTIVE', 1]);
    expect(await act({ pause: null })).toEqual([202, 'PAUSED', 3]);
    expect(await act({ unpause: null })).toEqual([202, 'ACTIVE', 1]);
    expect(await act({ suspend: null })).toEqual([202, 'SUSPENDED', 7]);
    expect(await act({ resume: null })).toEqual([202, 'ACTIVE', 1]);
    const ops = h.fleet.sent.filter((s) => s.command.op !== 'spawn').map((s) => s.requestId);
    expect(ops[0]).toBe(`${id}:stop:2`);
    expect(new Set(ops).size).toBe(ops.length);
    const actions = await h.req('GET', `/servers/${id}/os-instance-actions`);
    expect(actions.json.instanceActions.map((a: { action: string }) => a.action)).toContain('stop');
  });

  it('shows REBOOT while a reboot is in flight and refuses conflicting actions with 409', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    h.fleet.hold.op = 'reboot';
    expect((await h.req('POST', `/servers/${id}/action`, { body: { reboot: { type: 'SOFT' } } })).status).toBe(202);
    await h.until(() => h.fleet.hold.release.length === 1);
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('REBOOT');
    const busy = await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } });
    expect(busy.status).toBe(409);
    expect(busy.json.conflictingRequest.message).toBe(
      `Cannot 'os-stop' instance ${id} while it is in task_state rebooting`,
    );
    h.fleet.hold.op = null;
    for (const r of h.fleet.hold.release) r();
    await h.compute.settled();
    expect(
      (await h.req('POST', `/servers/${id}/action`, { body: { 'os-start': null } })).json.conflictingRequest.message,
    ).toBe(`Cannot 'os-start' instance ${id} while it is in vm_state active`);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { unpause: null } })).status).toBe(409);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { resume: null } })).status).toBe(409);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { reboot: { type: 'WARM' } } })).status).toBe(400);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { frobnicate: {} } })).status).toBe(400);
  });

  it('returns console output, honouring length', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const r = await h.req('POST', `/servers/${id}/action`, { body: { 'os-getConsoleOutput': { length: 2 } } });
    expect(r.status).toBe(200);
    expect(r.json.output).toBe('line3\nlogin: ');
    const all = await h.req('POST', `/servers/${id}/action`, { body: { 'os-getConsoleOutput': { length: null } } });
    expect(all.json.output.split('\n')).toHaveLength(4);
    expect(
      (await h.req('POST', `/servers/${id}/action`, { body: { 'os-getConsoleOutput': { length: 'x' } } })).status,
    ).toBe(400);
  });

  it('lock blocks other non-admin actions; locked and locked_reason show per microversion', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    expect(
      (await h.req('POST', `/servers/${id}/action`, { body: { lock: { locked_reason: 'maint' } }, version: '2.73' }))
        .status,
    ).toBe(202);
    const s = (await h.req('GET', `/servers/${id}`, { version: '2.73' })).json.server;
    expect(s).toMatchObject({ locked: true, locked_reason: 'maint' });
    expect((await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } })).status).toBe(409);
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(409);
    expect((await h.req('POST', `/servers/${id}/action`, { as: h.admin, body: { 'os-stop': null } })).status).toBe(202);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { unlock: null } })).status).toBe(202);
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(204);
  });

  it('does not let other projects act (404)', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    expect((await h.req('POST', `/servers/${id}/action`, { as: h.other, body: { 'os-stop': null } })).status).toBe(404);
  });
});

describe('server metadata', () => {
  it('supports Nova’s metadata CRUD', async () => {
    const h = await computeHarness();
    const id = await h.boot('m', { metadata: { a: '1' } });
    expect((await h.req('GET', `/servers/${id}/metadata`)).json).toEqual({ metadata: { a: '1' } });
    expect((await h.req('POST', `/servers/${id}/metadata`, { body: { metadata: { b: '2' } } })).json).toEqual({
      metadata: { a: '1', b: '2' },
    });
    expect((await h.req('PUT', `/servers/${id}/metadata/c`, { body: { meta: { c: '3' } } })).json).toEqual({
      meta: { c: '3' },
    });
    expect((await h.req('PUT', `/servers/${id}/metadata/c`, { body: { meta: { d: '3' } } })).status).toBe(400);
    expect((await h.req('GET', `/servers/${id}/metadata/c`)).json).toEqual({ meta: { c: '3' } });
    expect((await h.req('DELETE', `/servers/${id}/metadata/a`)).status).toBe(204);
    expect((await h.req('GET', `/servers/${id}/metadata/a`)).status).toBe(404);
    expect((await h.req('PUT', `/servers/${id}/metadata`, { body: { metadata: { z: '9' } } })).json).toEqual({
      metadata: { z: '9' },
    });
    expect((await h.req('GET', `/servers/${id}`)).json.server.metadata).toEqual({ z: '9' });
  });
});

describe('server ips, tags and tenant usage', () => {
  it('lists addresses by network', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    expect((await h.req('GET', `/servers/${id}/ips`)).json).toEqual({
      addresses: { private: [{ version: 4, addr: '10.0.0.11' }] },
    });
    expect((await h.req('GET', `/servers/${id}/ips/private`)).json).toEqual({
      private: [{ version: 4, addr: '10.0.0.11' }],
    });
    expect((await h.req('GET', `/servers/${id}/ips/public`)).status).toBe(404);
  });

  it('manages tags from 2.26', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    expect((await h.req('GET', `/servers/${id}/tags`)).status).toBe(404);
    const v = '2.26';
    expect((await h.req('PUT', `/servers/${id}/tags/a`, { version: v })).status).toBe(201);
    expect((await h.req('PUT', `/servers/${id}/tags/a`, { version: v })).status).toBe(204);
    expect((await h.req('GET', `/servers/${id}/tags/a`, { version: v })).status).toBe(204);
    expect((await h.req('PUT', `/servers/${id}/tags`, { version: v, body: { tags: ['x', 'y'] } })).json).toEqual({
      tags: ['x', 'y'],
    });
    expect((await h.req('GET', `/servers/${id}`, { version: v })).json.server.tags).toEqual(['x', 'y']);
    expect((await h.req('GET', '/servers?tags=x', { version: v })).status).toBe(200);
    expect((await h.req('DELETE', `/servers/${id}/tags/x`, { version: v })).status).toBe(204);
    expect((await h.req('DELETE', `/servers/${id}/tags/x`, { version: v })).status).toBe(404);
    expect((await h.req('DELETE', `/servers/${id}/tags`, { version: v })).status).toBe(204);
    expect((await h.req('GET', `/servers/${id}/tags`, { version: v })).json).toEqual({ tags: [] });
  });

  it('reports server hours per tenant', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    h.deps.clock.advance(2 * 3_600_000);
    const q = '?start=2025-12-31T00:00:00&end=2026-01-01T02:00:00';
    const one = await h.req('GET', `/os-simple-tenant-usage/p1${q}`);
    expect(one.json.tenant_usage.total_hours).toBe(2);
    expect(one.json.tenant_usage.total_memory_mb_usage).toBe(1024);
    expect(one.json.tenant_usage.server_usages[0]).toMatchObject({
      instance_id: id,
      state: 'active',
      flavor: 'm1.tiny',
    });
    expect((await h.req('GET', `/os-simple-tenant-usage${q}`)).status).toBe(403);
    const all = await h.req('GET', `/os-simple-tenant-usage${q}&detailed=1`, { as: h.admin });
    expect(all.json.tenant_usages.map((u: { tenant_id: string }) => u.tenant_id)).toEqual(['p1']);
    expect((await h.req('GET', `/os-simple-tenant-usage/p1?start=bad`)).status).toBe(400);
    const actions = await h.req(
      'GET',
      `/servers/${id}/os-instance-actions/${(await h.req('GET', `/servers/${id}/os-instance-actions`)).json.instanceActions[0].request_id}`,
    );
    expect(actions.json.instanceAction.events[0].result).toBe('Success');
  });
});
