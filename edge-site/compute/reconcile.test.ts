import { describe, expect, it } from 'vitest';
import { testDeps } from '../testing/deps.ts';
import { computeHarness, IMAGE_ID } from './testing/harness.ts';

describe('reconciliation with the agents', () => {
  it('marks a VM that powered off by itself SHUTOFF, and ACTIVE again when it runs', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    h.fleet.emit({
      type: 'instance',
      host: 'host1',
      instance: { id, powerState: 'shutdown', observedAt: 1 },
      deleted: false,
    });
    await h.compute.settled();
    let s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect([s.status, s['OS-EXT-STS:power_state']]).toEqual(['SHUTOFF', 4]);
    h.fleet.emit({
      type: 'instance',
      host: 'host1',
      instance: { id, powerState: 'running', observedAt: 2 },
      deleted: false,
    });
    await h.compute.settled();
    s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect([s.status, s['OS-EXT-STS:power_state']]).toEqual(['ACTIVE', 1]);
  });

  it('on inventory: lost VMs go to SHUTOFF/nostate, unknown and deleted VMs are destroyed', async () => {
    const h = await computeHarness();
    const kept = await h.boot('kept');
    const lost = await h.boot('lost');
    const gone = await h.boot('gone');
    await h.req('DELETE', `/servers/${gone}`);
    await h.compute.settled();
    const hostOf = async (id: string) =>
      (await h.req('GET', `/servers/${id}`, { as: h.admin })).json.server['OS-EXT-SRV-ATTR:host'];
    expect(await hostOf(kept)).toBe('host1');
    expect(await hostOf(lost)).toBe('host1');
    const stranger = '99999999-0000-4000-8000-000000000000';
    h.fleet.emit({
      type: 'inventory',
      host: 'host1',
      instances: [
        { id: kept, powerState: 'running', observedAt: 5 },
        { id: gone, powerState: 'running', observedAt: 5 },
        { id: stranger, powerState: 'running', observedAt: 5 },
      ],
    });
    await h.compute.settled();
    const l = (await h.req('GET', `/servers/${lost}`)).json.server;
    expect([l.status, l['OS-EXT-STS:power_state']]).toEqual(['SHUTOFF', 0]);
    expect((await h.req('GET', `/servers/${kept}`)).json.server.status).toBe('ACTIVE');
    const destroyed = h.fleet.sent
      .filter((x) => x.command.op === 'destroy')
      .map((x) => (x.command as { instanceId: string }).instanceId);
    expect(destroyed).toEqual(expect.arrayContaining([gone, stranger]));
    expect(destroyed).not.toContain(kept);
    expect((await h.req('GET', '/servers')).json.servers).toHaveLength(2);
  });

  it('a VM reported by a host other than the server’s is destroyed there', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    h.fleet.emit({
      type: 'instance',
      host: 'host2',
      instance: { id, powerState: 'running', observedAt: 7 },
      deleted: false,
    });
    await h.compute.settled();
    expect(h.fleet.sent.at(-1)).toMatchObject({ host: 'host2', command: { op: 'destroy', instanceId: id } });
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('ACTIVE');
  });

  it('deletes locally when the host is down; the VM is reaped when the agent comes back', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const host = h.fleet.host('host1');
    if (!host) throw new Error('no host');
    Object.assign(host, { state: 'down' });
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(204);
    await h.compute.settled();
    expect((await h.req('GET', `/servers/${id}`)).status).toBe(404);
    Object.assign(host, { state: 'up' });
    h.fleet.emit({ type: 'inventory', host: 'host1', instances: [{ id, powerState: 'running', observedAt: 9 }] });
    await h.compute.settled();
    expect(h.fleet.vms.get('host1')?.has(id)).toBe(false);
  });

  it('resumes interrupted work after a site restart with the same request ids', async () => {
    const deps = await testDeps();
    const h1 = await computeHarness({ deps });
    const stopped = await h1.boot('stopping');
    // Simulate a crash mid-spawn and mid-stop: the command was sent (and executed) but the site never heard back.
    h1.fleet.hold.op = 'spawn';
    const r = await h1.req('POST', '/servers', {
      body: { server: { name: 'spawning', imageRef: IMAGE_ID, flavorRef: '1' } },
    });
    const spawning = r.json.server.id as string;
    await h1.until(() => h1.fleet.hold.release.length === 1);
    // h1 is abandoned here, as a crashed process would be.

    // A new site process over the same database and the same agents.
    const h2 = await computeHarness({ deps, start: false });
    for (const [host, vms] of h1.fleet.vms) h2.fleet.vms.set(host, vms);
    await deps.db.client.execute({
      sql: "UPDATE compute_servers SET task_state = 'powering-off', pending_request = ? WHERE id = ?",
      args: [`${stopped}:stop:2`, stopped],
    });
    await h2.compute.start?.();
    await h2.compute.settled();
    const spawnIds = h2.fleet.sent.filter((s) => s.command.op === 'spawn').map((s) => s.requestId);
    expect(spawnIds).toEqual([`${spawning}:spawn:1`]);
    expect((await h2.req('GET', `/servers/${spawning}`)).json.server.status).toBe('ACTIVE');
    expect(h2.fleet.sent.find((s) => s.command.op === 'stop')?.requestId).toBe(`${stopped}:stop:2`);
    expect((await h2.req('GET', `/servers/${stopped}`)).json.server.status).toBe('SHUTOFF');
  });

  it('restarts builds interrupted before the spawn was sent', async () => {
    const deps = await testDeps();
    const h1 = await computeHarness({ deps, start: false });
    h1.fleet.hold.op = 'spawn';
    const r = await h1.req('POST', '/servers', {
      body: { server: { name: 'early', imageRef: IMAGE_ID, flavorRef: '1' } },
    });
    const id = r.json.server.id as string;
    await h1.until(() => h1.fleet.hold.release.length === 1);
    // The crash happened before the spawn left: the row still says networking.
    await deps.db.client.execute({
      sql: "UPDATE compute_servers SET task_state = 'networking', pending_request = NULL WHERE id = ?",
      args: [id],
    });
    const h2 = await computeHarness({ deps, start: false });
    await h2.compute.start?.();
    await h2.compute.settled();
    expect((await h2.req('GET', `/servers/${id}`)).json.server.status).toBe('ACTIVE');
  });
});
