import { describe, expect, it } from 'vitest';
import { testHost } from './testing/fakes.ts';
import { computeHarness } from './testing/harness.ts';

describe('hypervisors, services, availability zones', () => {
  it('lists hypervisors with usage from placement (integer ids in 2.1, uuids from 2.53)', async () => {
    const h = await computeHarness();
    await h.boot();
    expect((await h.req('GET', '/os-hypervisors')).status).toBe(403);
    const list = await h.req('GET', '/os-hypervisors', { as: h.admin });
    expect(list.json.hypervisors).toEqual([
      { id: 1, hypervisor_hostname: 'host1', state: 'up', status: 'enabled' },
      { id: 2, hypervisor_hostname: 'host2', state: 'up', status: 'enabled' },
    ]);
    const one = await h.req('GET', '/os-hypervisors/1', { as: h.admin });
    expect(one.json.hypervisor).toMatchObject({ vcpus: 8, vcpus_used: 1, memory_mb_used: 512, running_vms: 1 });
    expect(typeof one.json.hypervisor.cpu_info).toBe('string');
    expect((await h.req('GET', '/os-hypervisors/99', { as: h.admin })).status).toBe(404);
    const v253 = await h.req('GET', '/os-hypervisors/detail?with_servers=true', { as: h.admin, version: '2.53' });
    expect(v253.json.hypervisors[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(v253.json.hypervisors[0].servers).toHaveLength(1);
    const stats = await h.req('GET', '/os-hypervisors/statistics', { as: h.admin });
    expect(stats.json.hypervisor_statistics).toMatchObject({ count: 2, vcpus: 16, vcpus_used: 1, running_vms: 1 });
  });

  it('lists services and disables a compute host both ways', async () => {
    const h = await computeHarness();
    const list = await h.req('GET', '/os-services', { as: h.admin });
    expect(list.json.services.map((s: { binary: string }) => s.binary)).toEqual([
      'nova-scheduler',
      'nova-conductor',
      'nova-compute',
      'nova-compute',
    ]);
    const old = await h.req('PUT', '/os-services/disable-log-reason', {
      as: h.admin,
      body: { host: 'host1', binary: 'nova-compute', disabled_reason: 'maint' },
    });
    expect(old.json.service).toEqual({
      host: 'host1',
      binary: 'nova-compute',
      status: 'disabled',
      disabled_reason: 'maint',
    });
    expect(h.fleet.host('host1')?.enabled).toBe(false);
    const v253 = await h.req('GET', '/os-services?binary=nova-compute&host=host1', { as: h.admin, version: '2.53' });
    const svc = v253.json.services[0];
    expect(svc).toMatchObject({ status: 'disabled', disabled_reason: 'maint', forced_down: false });
    const en = await h.req('PUT', `/os-services/${svc.id}`, {
      as: h.admin,
      version: '2.53',
      body: { status: 'enabled' },
    });
    expect(en.json.service).toMatchObject({ id: svc.id, status: 'enabled' });
    expect(h.fleet.host('host1')?.enabled).toBe(true);
    expect(
      (await h.req('PUT', '/os-services/enable', { as: h.admin, body: { host: 'nope', binary: 'nova-compute' } }))
        .status,
    ).toBe(404);
  });

  it('lists availability zones (detail for admins)', async () => {
    const h = await computeHarness({ hosts: [testHost('a', 1), testHost('b', 2, { availabilityZone: 'edge' })] });
    const azs = await h.req('GET', '/os-availability-zone');
    expect(azs.json.availabilityZoneInfo).toEqual([
      { zoneName: 'nova', zoneState: { available: true }, hosts: null },
      { zoneName: 'edge', zoneState: { available: true }, hosts: null },
    ]);
    expect((await h.req('GET', '/os-availability-zone/detail')).status).toBe(403);
    const detail = await h.req('GET', '/os-availability-zone/detail', { as: h.admin });
    const edge = detail.json.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'edge');
    expect(edge.hosts.b['nova-compute']).toMatchObject({ available: true, active: true });
    const id = await h.boot('in-edge', { availability_zone: 'edge' });
    const s = (await h.req('GET', `/servers/${id}`, { as: h.admin })).json.server;
    expect([s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-AZ:availability_zone']]).toEqual(['b', 'edge']);
  });
});

describe('quota sets and server groups', () => {
  it('shows, updates, details and resets quotas', async () => {
    const h = await computeHarness();
    await h.boot();
    const show = await h.req('GET', '/os-quota-sets/p1');
    expect(show.json.quota_set).toMatchObject({ id: 'p1', instances: 10, cores: 20, fixed_ips: -1 });
    expect((await h.req('GET', '/os-quota-sets/p1', { version: '2.57' })).json.quota_set).not.toHaveProperty(
      'injected_files',
    );
    expect((await h.req('GET', '/os-quota-sets/p2')).status).toBe(403);
    expect((await h.req('PUT', '/os-quota-sets/p1', { body: { quota_set: { cores: 5 } } })).status).toBe(403);
    const below = await h.req('PUT', '/os-quota-sets/p1', { as: h.admin, body: { quota_set: { instances: 0 } } });
    expect(below.status).toBe(400);
    const up = await h.req('PUT', '/os-quota-sets/p1', {
      as: h.admin,
      body: { quota_set: { cores: 5, instances: '3' } },
    });
    expect(up.json.quota_set).toMatchObject({ cores: 5, instances: 3 });
    expect(up.json.quota_set).not.toHaveProperty('id');
    const detail = await h.req('GET', '/os-quota-sets/p1/detail');
    expect(detail.json.quota_set.cores).toEqual({ limit: 5, in_use: 1, reserved: 0 });
    expect((await h.req('GET', '/os-quota-sets/p1/defaults')).json.quota_set.cores).toBe(20);
    expect((await h.req('DELETE', '/os-quota-sets/p1', { as: h.admin })).status).toBe(202);
    expect((await h.req('GET', '/os-quota-sets/p1')).json.quota_set.cores).toBe(20);
    const bad = await h.req('PUT', '/os-quota-sets/p1', { as: h.admin, body: { quota_set: { cores: 'many' } } });
    expect(bad.status).toBe(400);
  });

  it('passes anti-affinity to placement and lists members', async () => {
    const h = await computeHarness();
    const g = await h.req('POST', '/os-server-groups', {
      body: { server_group: { name: 'g', policies: ['anti-affinity'] } },
    });
    expect(g.status).toBe(200);
    expect(g.json.server_group).toMatchObject({ name: 'g', policies: ['anti-affinity'], members: [], metadata: {} });
    const gid = g.json.server_group.id;
    const hint = { 'os:scheduler_hints': { group: gid } };
    const r1 = await h.req('POST', '/servers', {
      body: { server: { name: 'g1', imageRef: '11111111-1111-4111-8111-111111111111', flavorRef: '1' }, ...hint },
    });
    await h.compute.settled();
    const r2 = await h.req('POST', '/servers', {
      body: { server: { name: 'g2', imageRef: '11111111-1111-4111-8111-111111111111', flavorRef: '1' }, ...hint },
    });
    await h.compute.settled();
    const hostOf = async (id: string) =>
      (await h.req('GET', `/servers/${id}`, { as: h.admin })).json.server['OS-EXT-SRV-ATTR:host'];
    expect(await hostOf(r1.json.server.id)).not.toBe(await hostOf(r2.json.server.id));
    expect(h.placement.claims.get(r2.json.server.id)?.req.group?.policy).toBe('anti-affinity');
    const shown = await h.req('GET', `/os-server-groups/${gid}`, { version: '2.64' });
    expect(shown.json.server_group).toMatchObject({ policy: 'anti-affinity', rules: {}, project_id: 'p1' });
    expect(shown.json.server_group.members).toHaveLength(2);
    const s71 = await h.req('GET', `/servers/${r1.json.server.id}`, { version: '2.71' });
    expect(s71.json.server.server_groups).toEqual([gid]);
    expect((await h.req('GET', `/os-server-groups/${gid}`, { as: h.other })).status).toBe(404);
    expect((await h.req('DELETE', `/os-server-groups/${gid}`)).status).toBe(204);
  });
});
