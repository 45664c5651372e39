import { describe, expect, it } from 'vitest';
import { computeHarness } from './testing/harness.ts';

describe('versions and microversions', () => {
  it('serves the version documents without auth', async () => {
    const h = await computeHarness();
    const root = await h.app.request('/compute/');
    expect(root.status).toBe(200);
    const body = (await root.json()) as { versions: Array<{ id: string }> };
    expect(body.versions.map((v: { id: string }) => v.id)).toEqual(['v2.0', 'v2.1']);
    expect(body.versions[1]).toMatchObject({ status: 'CURRENT', min_version: '2.1', version: '2.79' });
    for (const path of ['/compute/v2.1', '/compute/v2.1/']) {
      const one = await h.app.request(path);
      expect(one.status).toBe(200);
      const doc = (await one.json()) as { version: { links: Array<{ href: string }> } };
      expect(doc.version.links[0]?.href).toBe('http://localhost/compute/v2.1/');
      expect(one.headers.get('OpenStack-API-Version')).toBe('compute 2.1');
    }
    expect((await h.app.request('/compute')).status).toBe(200);
  });

  it('parses, echoes and rejects microversions', async () => {
    const h = await computeHarness();
    const call = (headers: Record<string, string>) =>
      h.app.request('/compute/v2.1/flavors', { headers: { 'X-Auth-Token': h.member, ...headers } });
    const a = await call({ 'OpenStack-API-Version': 'compute 2.61' });
    expect(a.headers.get('OpenStack-API-Version')).toBe('compute 2.61');
    expect(a.headers.get('X-OpenStack-Nova-API-Version')).toBe('2.61');
    expect(a.headers.get('Vary')).toContain('OpenStack-API-Version');
    expect((await call({ 'X-OpenStack-Nova-API-Version': '2.19' })).headers.get('OpenStack-API-Version')).toBe(
      'compute 2.19',
    );
    expect((await call({ 'OpenStack-API-Version': 'compute latest' })).headers.get('OpenStack-API-Version')).toBe(
      'compute 2.79',
    );
    expect(
      (await call({ 'OpenStack-API-Version': 'volume 3.0, compute 2.5' })).headers.get('X-OpenStack-Nova-API-Version'),
    ).toBe('2.5');
    const tooNew = await call({ 'OpenStack-API-Version': 'compute 2.999' });
    expect(tooNew.status).toBe(406);
    expect(tooNew.headers.get('OpenStack-API-Version')).toBe('compute 2.1');
    expect((await call({ 'OpenStack-API-Version': 'compute 3.0' })).status).toBe(406);
    expect((await call({ 'OpenStack-API-Version': 'compute abc' })).status).toBe(400);
    const noAuth = await h.app.request('/compute/v2.1/flavors');
    expect(noAuth.status).toBe(401);
  });

  it('renders servers per microversion', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const get = async (version: string, as = h.member) =>
      (await h.req('GET', `/servers/${id}`, { version, as })).json.server;
    const v21 = await get('2.1');
    for (const k of ['locked', 'description', 'tags', 'host_status', 'locked_reason', 'server_groups'])
      expect(v21).not.toHaveProperty(k);
    expect(await get('2.9')).toHaveProperty('locked', false);
    expect(await get('2.19')).toHaveProperty('description', null);
    expect(await get('2.26')).toHaveProperty('tags', []);
    expect(await get('2.16', h.admin)).toHaveProperty('host_status', 'UP');
    expect(await get('2.16')).not.toHaveProperty('host_status');
    const admin = (await h.req('GET', `/servers/detail?all_tenants=1`, { version: '2.16', as: h.admin })).json
      .servers[0];
    expect(admin.host_status).toBe('UP');
    expect(admin['OS-EXT-SRV-ATTR:hostname']).toBe('vm1');
    const v247 = await get('2.47');
    expect(v247.flavor).toEqual({
      vcpus: 1,
      ram: 512,
      disk: 1,
      ephemeral: 0,
      swap: 0,
      original_name: 'm1.tiny',
      extra_specs: {},
    });
    const v273 = await get('2.73');
    expect(v273).toMatchObject({ locked_reason: null, server_groups: [], trusted_image_certificates: null });
    const list273 = (await h.req('GET', '/servers/detail', { version: '2.73' })).json.servers[0];
    expect(list273).not.toHaveProperty('server_groups');
    const upd = await h.req('PUT', `/servers/${id}`, { body: { server: { name: 'n' } }, version: '2.75' });
    expect(upd.json.server).toHaveProperty('OS-EXT-STS:vm_state');
  });
});

describe('flavors', () => {
  it('lists, shows and 404s by name like clients expect', async () => {
    const h = await computeHarness();
    const list = await h.req('GET', '/flavors');
    expect(list.json.flavors.map((f: { id: string }) => f.id)).toEqual(['1', '2', '3', '4', '5']);
    expect((await h.req('GET', '/flavors/m1.tiny')).status).toBe(404);
    const one = await h.req('GET', '/flavors/1');
    expect(one.json.flavor).toMatchObject({ name: 'm1.tiny', swap: '', 'os-flavor-access:is_public': true });
    expect(one.json.flavor).not.toHaveProperty('description');
    const v61 = await h.req('GET', '/flavors/detail?is_public=None', { version: '2.61' });
    expect(v61.json.flavors[0]).toMatchObject({ description: null, extra_specs: {} });
    expect((await h.req('GET', '/flavors/1', { version: '2.75' })).json.flavor.swap).toBe(0);
    expect((await h.req('GET', '/flavors/1/os-extra_specs')).json).toEqual({ extra_specs: {} });
    expect((await h.req('GET', '/flavors/detail?minRam=4096')).json.flavors.map((f: { id: string }) => f.id)).toEqual([
      '3',
      '4',
      '5',
    ]);
    expect((await h.req('GET', '/flavors/detail?minDisk=x')).status).toBe(400);
    expect((await h.req('GET', '/flavors?is_public=maybe', { as: h.admin })).status).toBe(400);
    const page = await h.req('GET', '/flavors?limit=2&marker=1');
    expect(page.json.flavors.map((f: { id: string }) => f.id)).toEqual(['2', '3']);
  });

  it('lets admins create, share and delete private flavors with extra specs', async () => {
    const h = await computeHarness();
    const body = { flavor: { name: 'priv', ram: 256, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false } };
    expect((await h.req('POST', '/flavors', { body })).status).toBe(403);
    const created = await h.req('POST', '/flavors', { as: h.admin, body });
    expect(created.status).toBe(200);
    const id = created.json.flavor.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await h.req('POST', '/flavors', { as: h.admin, body })).status).toBe(409);
    expect(
      (await h.req('POST', '/flavors', { as: h.admin, body: { flavor: { ...body.flavor, name: 'x', id: '1' } } }))
        .status,
    ).toBe(409);
    expect((await h.req('GET', `/flavors/${id}`)).status).toBe(404);
    const isPublic = async (q: string) => (await h.req('GET', `/flavors${q}`, { as: h.admin })).json.flavors.length;
    expect(await isPublic('')).toBe(5);
    expect(await isPublic('?is_public=false')).toBe(1);
    expect(await isPublic('?is_public=None')).toBe(6);
    const add = await h.req('POST', `/flavors/${id}/action`, {
      as: h.admin,
      body: { addTenantAccess: { tenant: 'p1' } },
    });
    expect(add.json.flavor_access).toEqual([{ flavor_id: id, tenant_id: 'p1' }]);
    expect(
      (await h.req('POST', `/flavors/${id}/action`, { as: h.admin, body: { addTenantAccess: { tenant: 'p1' } } }))
        .status,
    ).toBe(409);
    expect((await h.req('GET', `/flavors/${id}`)).status).toBe(200);
    expect((await h.req('GET', '/flavors')).json.flavors).toHaveLength(6);
    expect((await h.req('GET', `/flavors/${id}`, { as: h.other })).status).toBe(404);
    expect((await h.req('GET', '/flavors/1/os-flavor-access', { as: h.admin })).status).toBe(404);
    const specs = await h.req('POST', `/flavors/${id}/os-extra_specs`, {
      as: h.admin,
      body: { extra_specs: { 'hw:cpu_policy': 'dedicated', n: 1 } },
    });
    expect(specs.json.extra_specs).toEqual({ 'hw:cpu_policy': 'dedicated', n: '1' });
    expect((await h.req('GET', `/flavors/${id}/os-extra_specs/n`)).json).toEqual({ n: '1' });
    expect((await h.req('PUT', `/flavors/${id}/os-extra_specs/n`, { as: h.admin, body: { n: '2' } })).json).toEqual({
      n: '2',
    });
    expect((await h.req('PUT', `/flavors/${id}/os-extra_specs/n`, { as: h.admin, body: { m: '2' } })).status).toBe(400);
    expect((await h.req('DELETE', `/flavors/${id}/os-extra_specs/n`, { as: h.admin })).status).toBe(200);
    expect((await h.req('GET', `/flavors/${id}/os-extra_specs/n`)).status).toBe(404);
    const removed = await h.req('POST', `/flavors/${id}/action`, {
      as: h.admin,
      body: { removeTenantAccess: { tenant: 'p1' } },
    });
    expect(removed.json.flavor_access).toEqual([]);
    expect((await h.req('DELETE', `/flavors/${id}`, { as: h.admin })).status).toBe(202);
    expect((await h.req('GET', `/flavors/${id}`, { as: h.admin })).status).toBe(404);
    const desc = await h.req('POST', '/flavors', {
      as: h.admin,
      version: '2.55',
      body: { flavor: { name: 'd', ram: 1, vcpus: 1, disk: 1, id: 'custom', description: 'hello' } },
    });
    expect(desc.json.flavor).toMatchObject({ id: 'custom', description: 'hello' });
    const upd = await h.req('PUT', '/flavors/custom', {
      as: h.admin,
      version: '2.55',
      body: { flavor: { description: 'bye' } },
    });
    expect(upd.json.flavor.description).toBe('bye');
  });
});

describe('keypairs', () => {
  it('imports with Nova’s fingerprint and generates RSA keys', async () => {
    const h = await computeHarness();
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHeKq3pQnOQt2bqHNDTMpyC1iEnn3c9KtxWFdbZtM4Gg test@example';
    const imp = await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'k1', public_key: pub } } });
    expect(imp.status).toBe(200);
    expect(imp.json.keypair.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(imp.json.keypair).not.toHaveProperty('type');
    expect(imp.json.keypair).not.toHaveProperty('private_key');
    const gen = await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'k2' } }, version: '2.2' });
    expect(gen.status).toBe(201);
    expect(gen.json.keypair.private_key).toContain('BEGIN RSA PRIVATE KEY');
    expect(gen.json.keypair.public_key).toMatch(/^ssh-rsa /);
    expect(gen.json.keypair.type).toBe('ssh');
    expect((await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'k1', public_key: pub } } })).status).toBe(
      409,
    );
    expect(
      (await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'k3', public_key: 'ssh-rsa garbage' } } }))
        .status,
    ).toBe(400);
    expect(
      (await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'bad/name', public_key: pub } } })).status,
    ).toBe(400);
    const list = await h.req('GET', '/os-keypairs');
    expect(list.json.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual(['k1', 'k2']);
    expect((await h.req('GET', '/os-keypairs', { as: h.other })).json.keypairs).toEqual([]);
    const show = await h.req('GET', '/os-keypairs/k1');
    expect(show.json.keypair).toMatchObject({ name: 'k1', user_id: 'u1', deleted: false, deleted_at: null });
    expect(typeof show.json.keypair.id).toBe('number');
    const withKey = await h.boot('withkey', { key_name: 'k1' });
    expect((await h.req('GET', `/servers/${withKey}`)).json.server.key_name).toBe('k1');
    const spawn = h.fleet.sent.find((s) => s.command.op === 'spawn' && s.command.spec.id === withKey);
    expect(spawn?.command.op === 'spawn' && spawn.command.spec.publicKeys).toEqual({ k1: pub });
    expect((await h.req('DELETE', '/os-keypairs/k1')).status).toBe(202);
    expect((await h.req('DELETE', '/os-keypairs/k2', { version: '2.2' })).status).toBe(204);
    expect((await h.req('GET', '/os-keypairs/k1')).status).toBe(404);
  });
});
