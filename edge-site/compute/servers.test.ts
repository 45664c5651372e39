import { describe, expect, it } from 'vitest';
import { testHost, testImage } from './testing/fakes.ts';
import { computeHarness, IMAGE_ID } from './testing/harness.ts';

describe('server create', () => {
  it('boots a server to ACTIVE with Nova create response and Location', async () => {
    const h = await computeHarness();
    const r = await h.req('POST', '/servers', {
      body: {
        server: {
          name: 'vm1',
          imageRef: IMAGE_ID,
          flavorRef: '1',
          networks: [{ uuid: '22222222-2222-4222-8222-222222222222' }],
        },
      },
    });
    expect(r.status).toBe(202);
    expect(Object.keys(r.json.server).sort()).toEqual([
      'OS-DCF:diskConfig',
      'adminPass',
      'id',
      'links',
      'security_groups',
    ]);
    expect(r.headers.get('location')).toContain(`/compute/v2.1/servers/${r.json.server.id}`);
    const building = await h.req('GET', `/servers/${r.json.server.id}`);
    expect(building.json.server.status).toBe('BUILD');
    await h.compute.settled();
    const s = (await h.req('GET', `/servers/${r.json.server.id}`)).json.server;
    expect(s.status).toBe('ACTIVE');
    expect(s['OS-EXT-STS:power_state']).toBe(1);
    expect(s['OS-EXT-STS:vm_state']).toBe('active');
    expect(s['OS-EXT-STS:task_state']).toBeNull();
    expect(s.addresses.private[0]).toMatchObject({ version: 4, addr: '10.0.0.11', 'OS-EXT-IPS:type': 'fixed' });
    expect(s.hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(s.flavor).toMatchObject({ id: '1' });
    expect(s.image).toMatchObject({ id: IMAGE_ID });
    expect(s['OS-EXT-SRV-ATTR:host']).toBeUndefined();
    expect(s.security_groups).toEqual([{ name: 'default' }]);
    expect(s.locked).toBeUndefined();
    expect(h.fleet.sent.find((x) => x.command.op === 'spawn')?.requestId).toBe(`${s.id}:spawn:1`);
  });

  it('creates several servers with min/max_count and names them name-N', async () => {
    const h = await computeHarness();
    const r = await h.req('POST', '/servers', {
      body: { server: { name: 'multi', imageRef: IMAGE_ID, flavorRef: '1', min_count: 2, max_count: 3 } },
    });
    expect(r.status).toBe(202);
    await h.compute.settled();
    const list = await h.req('GET', '/servers/detail?sort_dir=asc&sort_key=display_name');
    expect(list.json.servers.map((s: { name: string }) => s.name)).toEqual(['multi-1', 'multi-2', 'multi-3']);
    expect(list.json.servers.every((s: { status: string }) => s.status === 'ACTIVE')).toBe(true);
    const rr = await h.req('POST', '/servers', {
      body: { server: { name: 'r', imageRef: IMAGE_ID, flavorRef: '1', return_reservation_id: true } },
    });
    expect(rr.json.reservation_id).toMatch(/^r-/);
  });

  it('validates the request as Nova does', async () => {
    const h = await computeHarness();
    const bad = async (server: Record<string, unknown>, version?: string) =>
      h.req('POST', '/servers', {
        body: { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1', ...server } },
        version,
      });
    expect((await bad({ flavorRef: '999' })).status).toBe(400);
    expect((await bad({ imageRef: '99999999-9999-4999-8999-999999999999' })).status).toBe(400);
    expect((await bad({ key_name: 'nope' })).json.badRequest.message).toBe('Invalid key_name provided.');
    expect((await bad({ user_data: 'not base64!!' })).status).toBe(400);
    expect((await bad({ name: ' lead' })).status).toBe(400);
    expect((await bad({ availability_zone: 'nowhere' })).status).toBe(400);
    expect((await bad({}, '2.37')).status).toBe(400);
    expect((await bad({ networks: 'none' }, '2.37')).status).toBe(202);
    expect((await bad({ networks: 'auto' })).status).toBe(400);
    expect(
      (
        await bad({
          block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: 'v', boot_index: 0 }],
        })
      ).status,
    ).toBe(400);
    h.images.images.set(IMAGE_ID, testImage({ min_ram: 4096 }));
    expect((await bad({})).json.badRequest.message).toContain('memory is too small');
    expect((await h.req('POST', '/servers', { raw: '{bad' })).status).toBe(400);
    expect(
      (
        await h.req('POST', '/servers', {
          as: h.reader,
          body: { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1' } },
        })
      ).status,
    ).toBe(403);
  });

  it('boots from a block device mapping with an image source', async () => {
    const h = await computeHarness();
    const r = await h.req('POST', '/servers', {
      body: {
        server: {
          name: 'bfi',
          flavorRef: '1',
          imageRef: '',
          block_device_mapping_v2: [{ source_type: 'image', destination_type: 'local', uuid: IMAGE_ID, boot_index: 0 }],
        },
      },
    });
    expect(r.status).toBe(202);
  });

  it('refuses creates over quota with Nova’s message', async () => {
    const h = await computeHarness();
    const q = await h.req('PUT', '/os-quota-sets/p1', { as: h.admin, body: { quota_set: { cores: 2 } } });
    expect(q.status).toBe(200);
    await h.boot('a');
    const r = await h.req('POST', '/servers', {
      body: { server: { name: 'b', imageRef: IMAGE_ID, flavorRef: '3' } },
    });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe('Quota exceeded for cores: Requested 2, but already used 1 of 2 cores');
    const limits = await h.req('GET', '/limits');
    expect(limits.json.limits.absolute).toMatchObject({ maxTotalCores: 2, totalCoresUsed: 1, totalInstancesUsed: 1 });
  });

  it('puts a server in ERROR with a NoValidHost fault when nothing fits', async () => {
    const h = await computeHarness({ hosts: [testHost('h1', 1, { enabled: false })] });
    const id = await h.boot('nope');
    const s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect(s.status).toBe('ERROR');
    expect(s.fault.code).toBe(500);
    expect(s.fault.message).toMatch(/^No valid host was found\./);
    expect(s.fault.created).toMatch(/Z$/);
  });

  it('reschedules once when the spawn fails on a host, then errors', async () => {
    const h = await computeHarness();
    h.fleet.failSpawn.add('host1');
    const ok = await h.boot('retry');
    const s = (await h.req('GET', `/servers/${ok}`, { as: h.admin })).json.server;
    expect(s.status).toBe('ACTIVE');
    expect(s['OS-EXT-SRV-ATTR:host']).toBe('host2');
    expect(h.network.ports.get(ok)).toHaveLength(1);
    h.fleet.failSpawn.add('host2');
    const bad = await h.boot('doomed');
    const e = (await h.req('GET', `/servers/${bad}`)).json.server;
    expect(e.status).toBe('ERROR');
    expect(e.fault.message).toContain('Exceeded maximum number of retries');
    expect(h.placement.claims.has(bad)).toBe(false);
    expect(h.network.ports.has(bad)).toBe(false);
  });

  it('errors the server and frees its claim when ports cannot be allocated', async () => {
    const h = await computeHarness();
    h.network.failNext = true;
    const id = await h.boot('nonet');
    const s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect(s.status).toBe('ERROR');
    expect(h.placement.claims.has(id)).toBe(false);
  });
});

describe('server show, list, update, delete', () => {
  it('hides other projects’ servers (404) and shows them to admins with all_tenants', async () => {
    const h = await computeHarness();
    const id = await h.boot('mine');
    await h.boot('theirs', {}, h.other);
    expect((await h.req('GET', `/servers/${id}`, { as: h.other })).status).toBe(404);
    expect((await h.req('GET', '/servers/mine')).status).toBe(404);
    const mine = await h.req('GET', '/servers?name=mi');
    expect(mine.json.servers.map((s: { name: string }) => s.name)).toEqual(['mine']);
    expect(Object.keys(mine.json.servers[0]).sort()).toEqual(['id', 'links', 'name']);
    const adminOwn = await h.req('GET', '/servers', { as: h.admin });
    expect(adminOwn.json.servers).toHaveLength(0);
    const all = await h.req('GET', '/servers/detail?all_tenants=1', { as: h.admin });
    expect(all.json.servers).toHaveLength(2);
    expect(all.json.servers[0]['OS-EXT-SRV-ATTR:host']).toMatch(/^host/);
    const p2 = await h.req('GET', '/servers?all_tenants=True&project_id=p2', { as: h.admin });
    expect(p2.json.servers.map((s: { name: string }) => s.name)).toEqual(['theirs']);
    const ignored = await h.req('GET', '/servers?all_tenants=1', { as: h.other });
    expect(ignored.json.servers).toHaveLength(1);
  });

  it('filters by status, image, flavor, ip, host, changes-since and pages', async () => {
    const h = await computeHarness();
    const a = await h.boot('a');
    await h.boot('b', { flavorRef: '2' });
    await h.boot('c');
    await h.req('POST', `/servers/${a}/action`, { body: { 'os-stop': null } });
    await h.compute.settled();
    const names = async (q: string, as = h.member) =>
      (await h.req('GET', `/servers${q}`, { as })).json.servers.map((s: { name: string }) => s.name).sort();
    expect(await names('?status=SHUTOFF')).toEqual(['a']);
    expect(await names('?status=ACTIVE')).toEqual(['b', 'c']);
    expect(await names('?flavor=2')).toEqual(['b']);
    expect(await names(`?image=${IMAGE_ID}`)).toEqual(['a', 'b', 'c']);
    expect(await names('?ip=10.0.0.12$')).toEqual(['b']);
    expect(await names('?name=^[ab]$')).toEqual(['a', 'b']);
    expect(await names('?all_tenants=1&host=nowhere', h.admin)).toEqual([]);
    expect(await names('?changes-since=2030-01-01T00:00:00Z')).toEqual([]);
    expect((await h.req('GET', '/servers?changes-since=garbage')).status).toBe(400);
    const p1 = await h.req('GET', '/servers?limit=2');
    expect(p1.json.servers).toHaveLength(2);
    expect(p1.json.servers_links[0].rel).toBe('next');
    const marker = new URL(p1.json.servers_links[0].href).searchParams.get('marker');
    const p2 = await h.req('GET', `/servers?limit=2&marker=${marker}`);
    expect(p2.json.servers).toHaveLength(1);
    expect((await h.req('GET', '/servers?marker=nope')).status).toBe(400);
  });

  it('updates name and description (2.19)', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const old = await h.req('PUT', `/servers/${id}`, { body: { server: { description: 'd' } } });
    expect(old.status).toBe(400);
    const r = await h.req('PUT', `/servers/${id}`, {
      body: { server: { name: 'renamed', description: 'd' } },
      version: '2.19',
    });
    expect(r.status).toBe(200);
    expect(r.json.server).toMatchObject({ name: 'renamed', description: 'd' });
    expect(r.json.server['OS-EXT-STS:vm_state']).toBeUndefined();
  });

  it('deletes asynchronously: destroy sent, ports and claim released, then 404', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const r = await h.req('DELETE', `/servers/${id}`);
    expect(r.status).toBe(204);
    await h.compute.settled();
    expect((await h.req('GET', `/servers/${id}`)).status).toBe(404);
    expect(h.fleet.sent.at(-1)?.command).toEqual({ op: 'destroy', instanceId: id });
    expect(h.placement.claims.has(id)).toBe(false);
    expect(h.network.ports.has(id)).toBe(false);
    expect((await h.req('GET', '/servers')).json.servers).toHaveLength(0);
    const since = await h.req('GET', '/servers/detail?changes-since=2000-01-01T00:00:00Z');
    expect(since.json.servers[0].status).toBe('DELETED');
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(404);
  });

  it('deletes a server while it builds without leaking anything', async () => {
    const h = await computeHarness();
    h.fleet.hold.op = 'spawn';
    const r = await h.req('POST', '/servers', { body: { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1' } } });
    const id = r.json.server.id;
    await h.until(() => h.fleet.hold.release.length === 1);
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(204);
    h.fleet.hold.op = null;
    for (const release of h.fleet.hold.release) release();
    await h.compute.settled();
    expect((await h.req('GET', `/servers/${id}`)).status).toBe(404);
    expect(h.fleet.vms.get('host1')?.has(id)).toBe(false);
    expect(h.placement.claims.size).toBe(0);
  });
});
