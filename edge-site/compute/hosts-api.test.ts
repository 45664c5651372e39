import { describe, expect, it } from 'vitest';
import { computeHarness } from './testing/harness.ts';

describe('os-hosts', () => {
  it('lists hosts by zone, shows usage, updates status and refuses power actions', async () => {
    const h = await computeHarness();
    await h.boot();
    const list = await h.req('GET', '/os-hosts', { as: h.admin });
    const computes = list.json.hosts.filter((x: { service: string }) => x.service === 'compute');
    expect(computes.map((x: { host_name: string }) => x.host_name).sort()).toEqual(['host1', 'host2']);
    const zone = computes[0].zone;
    expect((await h.req('GET', `/os-hosts?zone=${zone}`, { as: h.admin })).json.hosts.length).toBeGreaterThan(0);
    expect((await h.req('GET', '/os-hosts?zone=', { as: h.admin })).json.hosts).toHaveLength(4);
    expect((await h.req('GET', '/os-hosts?zone=xxx', { as: h.admin })).json.hosts).toEqual([]);
    const show = await h.req('GET', '/os-hosts/host1', { as: h.admin });
    expect(show.json.host[0].resource).toMatchObject({ host: 'host1', project: '(total)' });
    expect((await h.req('GET', '/os-hosts/nope', { as: h.admin })).status).toBe(404);
    expect((await h.req('GET', '/os-hosts')).status).toBe(403);
    expect((await h.req('GET', '/os-hosts/host1')).status).toBe(403);
    const put = (body: unknown, host = 'host1', as = h.admin) => h.req('PUT', `/os-hosts/${host}`, { as, body });
    expect((await put({ status: 'invalid', maintenance_mode: 'enable' })).status).toBe(400);
    expect((await put({ status: 'enable', maintenance_mode: 'invalid' })).status).toBe(400);
    expect((await put({})).status).toBe(400);
    expect((await put({ status: 'enable' }, 'nope')).status).toBe(404);
    expect((await put({ status: 'enable' }, 'host1', h.member)).status).toBe(403);
    expect((await put({ status: 'disable' })).json).toEqual({ host: 'host1', status: 'disabled' });
    expect(h.fleet.host('host1')?.enabled).toBe(false);
    expect((await put({ status: 'enable' })).json.status).toBe('enabled');
    for (const action of ['startup', 'shutdown', 'reboot']) {
      expect((await h.req('GET', `/os-hosts/nope/${action}`, { as: h.admin })).status).toBe(404);
      expect((await h.req('GET', `/os-hosts/host1/${action}`)).status).toBe(403);
      expect((await h.req('GET', `/os-hosts/host1/${action}`, { as: h.admin })).status).toBe(409);
    }
    expect((await h.req('GET', '/os-hosts', { as: h.admin, version: '2.43' })).status).toBe(404);
  });
});

describe('os-resetState', () => {
  it('lets an admin force ERROR or ACTIVE; others get 403; bad states 400', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const reset = (state: unknown, as = h.admin) =>
      h.req('POST', `/servers/${id}/action`, { as, body: { 'os-resetState': { state } } });
    expect((await reset('error', h.member)).status).toBe(403);
    expect((await reset('invalid')).status).toBe(400);
    expect((await reset(1)).status).toBe(400);
    expect((await reset('error')).status).toBe(202);
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('ERROR');
    expect((await h.req('GET', '/servers?status=ERROR')).json.servers).toHaveLength(1);
    expect((await reset('active')).status).toBe(202);
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('ACTIVE');
  });
});

describe('server diagnostics and rebuild at 2.75', () => {
  it('shows diagnostics to admins only; 2.75 rebuild has user_data, not the admin attribute', async () => {
    const h = await computeHarness();
    const id = await h.boot('vm', { user_data: 'aGk=' });
    expect((await h.req('GET', `/servers/${id}/diagnostics`)).status).toBe(403);
    const d = await h.req('GET', `/servers/${id}/diagnostics`, { as: h.admin, version: '2.48' });
    expect(d.json).toMatchObject({ state: 'running', num_cpus: 1, num_nics: 1, config_drive: false });
    const r = await h.req('POST', `/servers/${id}/action`, {
      as: h.admin,
      version: '2.75',
      body: { rebuild: { imageRef: d.json ? (await h.req('GET', `/servers/${id}`)).json.server.image.id : '' } },
    });
    expect(r.status).toBe(202);
    expect(r.json.server.user_data).toBe('aGk=');
    expect(r.json.server['OS-EXT-SRV-ATTR:user_data']).toBeUndefined();
    expect(r.json.server['OS-EXT-SRV-ATTR:host']).toBeDefined();
  });
});

describe('os-instance_usage_audit_log', () => {
  it('reports the last monthly period with every host not run; admin only; bad times 400', async () => {
    const h = await computeHarness();
    const list = await h.req('GET', '/os-instance_usage_audit_log', { as: h.admin });
    expect(list.json.instance_usage_audit_logs).toMatchObject({ num_hosts: 2, num_hosts_not_run: 2, log: {} });
    const at = await h.req('GET', `/os-instance_usage_audit_log/${encodeURIComponent('2026-03-15 10:00:00')}`, {
      as: h.admin,
    });
    expect(at.json.instance_usage_audit_log).toMatchObject({
      period_beginning: '2026-02-01 00:00:00',
      period_ending: '2026-03-01 00:00:00',
    });
    expect((await h.req('GET', '/os-instance_usage_audit_log/invalid', { as: h.admin })).status).toBe(400);
    expect((await h.req('GET', '/os-instance_usage_audit_log')).status).toBe(403);
  });
});

describe('os-quota-class-sets', () => {
  it('shows and updates the default class, which every project without its own limit gets', async () => {
    const h = await computeHarness();
    const shown = await h.req('GET', '/os-quota-class-sets/default', { as: h.admin });
    expect(shown.json.quota_class_set).toMatchObject({ id: 'default', instances: 10 });
    expect(shown.json.quota_class_set.server_groups).toBeUndefined();
    expect((await h.req('GET', '/os-quota-class-sets/default')).status).toBe(403);
    const upd = await h.req('PUT', '/os-quota-class-sets/default', {
      as: h.admin,
      body: { quota_class_set: { instances: 110, cores: 120 } },
    });
    expect(upd.json.quota_class_set).toMatchObject({ instances: 110, cores: 120 });
    expect(upd.json.quota_class_set.id).toBeUndefined();
    expect((await h.req('GET', '/os-quota-sets/p1')).json.quota_set.instances).toBe(110);
    expect((await h.req('GET', '/os-quota-sets/p1/defaults')).json.quota_set.cores).toBe(120);
    const v257 = await h.req('GET', '/os-quota-class-sets/default', { as: h.admin, version: '2.57' });
    expect(v257.json.quota_class_set.server_groups).toBe(10);
    expect(v257.json.quota_class_set.floating_ips).toBeUndefined();
    const bad = await h.req('PUT', '/os-quota-class-sets/default', {
      as: h.admin,
      body: { quota_class_set: { instances: 'x' } },
    });
    expect(bad.status).toBe(400);
  });
});

describe('os-migrations and os-server-external-events', () => {
  it('lists no migrations and acknowledges events for live servers', async () => {
    const h = await computeHarness();
    expect((await h.req('GET', '/os-migrations', { as: h.admin })).json).toEqual({ migrations: [] });
    expect((await h.req('GET', '/os-migrations')).status).toBe(403);
    const id = await h.boot();
    const ev = (server_uuid: string, as = h.admin) =>
      h.req('POST', '/os-server-external-events', { as, body: { events: [{ name: 'network-changed', server_uuid }] } });
    const ok = await ev(id);
    expect(ok.status).toBe(200);
    expect(ok.json.events[0]).toMatchObject({
      server_uuid: id,
      name: 'network-changed',
      code: 200,
      status: 'completed',
    });
    expect((await ev('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await ev(id, h.member)).status).toBe(403);
  });
});
