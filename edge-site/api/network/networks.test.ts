import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

describe('network API: discovery', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('serves the version list and the v2.0 resource list without a token', async () => {
    const v = await h.app.request('/network/');
    expect(v.status).toBe(200);
    const body = (await v.json()) as { versions: Array<{ id: string; status: string; links: unknown[] }> };
    expect(body.versions[0]).toMatchObject({ id: 'v2.0', status: 'CURRENT' });
    const r = await h.app.request('/network/v2.0/');
    const res = (await r.json()) as { resources: Array<{ name: string }> };
    expect(res.resources.map((x) => x.name)).toEqual(expect.arrayContaining(['network', 'subnet', 'port']));
  });

  it('requires a token for resources and lists extensions', async () => {
    expect((await h.app.request('/network/v2.0/networks')).status).toBe(401);
    const ext = await h.call(h.who.alice, 'GET', '/v2.0/extensions');
    expect(ext.body.extensions.map((e: { alias: string }) => e.alias)).toContain('security-group');
    expect((await h.call(h.who.alice, 'GET', '/v2.0/extensions/binding')).body.extension.alias).toBe('binding');
    const missing = await h.call(h.who.alice, 'GET', '/v2.0/extensions/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.NeutronError.type).toBe('ExtensionNotFound');
  });
});

describe('network API: networks', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('creates, shows, lists, updates and deletes a network with Neutron fields', async () => {
    const c = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'private' } });
    expect(c.status).toBe(201);
    const n = c.body.network;
    expect(n).toMatchObject({
      name: 'private',
      admin_state_up: true,
      status: 'ACTIVE',
      shared: false,
      'router:external': false,
      mtu: 1450,
      subnets: [],
      project_id: 'p1',
      tenant_id: 'p1',
      port_security_enabled: true,
      availability_zone_hints: [],
      description: '',
      tags: [],
      revision_number: 1,
      created_at: '2026-01-01T00:00:00Z',
    });
    expect(n).not.toHaveProperty('provider:network_type');
    const shown = await h.call(h.who.admin, 'GET', `/v2.0/networks/${n.id}`);
    expect(shown.body.network['provider:network_type']).toBe('vxlan');
    const u = await h.call(h.who.alice, 'PUT', `/v2.0/networks/${n.id}`, { network: { name: 'renamed', mtu: 1500 } });
    expect(u.status).toBe(200);
    expect(u.body.network).toMatchObject({ name: 'renamed', mtu: 1500, revision_number: 2 });
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/networks/${n.id}`)).status).toBe(204);
    const gone = await h.call(h.who.alice, 'GET', `/v2.0/networks/${n.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.NeutronError).toMatchObject({ type: 'NetworkNotFound', detail: '' });
  });

  it('rejects unknown and read-only attributes, and bad values, with 400s', async () => {
    const u = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'x', bogus: 1 } });
    expect(u.status).toBe(400);
    expect(u.body.NeutronError.message).toBe("Unrecognized attribute(s) 'bogus'");
    const ro = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { status: 'DOWN' } });
    expect(ro.status).toBe(400);
    const bad = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } });
    expect(bad.status).toBe(400);
    expect(bad.body.NeutronError.message).toContain('admin_state_up');
    const mtu = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { mtu: 9000 } });
    expect(mtu.status).toBe(400);
    const nobody = await h.call(h.who.alice, 'POST', '/v2.0/networks', { nets: {} });
    expect(nobody.status).toBe(400);
  });

  it('keeps shared and external admin-only, and readers read-only', async () => {
    expect((await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { shared: true } })).status).toBe(403);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { 'router:external': true } })).status).toBe(
      403,
    );
    expect((await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { shared: false } })).status).toBe(201);
    expect((await h.call(h.who.reader, 'POST', '/v2.0/networks', { network: {} })).status).toBe(403);
    expect((await h.call(h.who.reader, 'GET', '/v2.0/networks')).status).toBe(200);
  });

  it('shows own, shared and external networks; others are 404', async () => {
    const mine = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'a' } })).body.network;
    const bobs = (await h.call(h.who.bob, 'POST', '/v2.0/networks', { network: { name: 'b' } })).body.network;
    const shared = (await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { name: 's', shared: true } })).body
      .network;
    const ext = (
      await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })
    ).body.network;
    const list = await h.call(h.who.alice, 'GET', '/v2.0/networks');
    expect(list.body.networks.map((n: { id: string }) => n.id).sort()).toEqual([mine.id, shared.id, ext.id].sort());
    expect((await h.call(h.who.alice, 'GET', `/v2.0/networks/${bobs.id}`)).status).toBe(404);
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/networks/${bobs.id}`)).status).toBe(404);
    expect((await h.call(h.who.alice, 'PUT', `/v2.0/networks/${shared.id}`, { network: { name: 'z' } })).status).toBe(
      403,
    );
    expect((await h.call(h.who.admin, 'GET', '/v2.0/networks')).body.networks).toHaveLength(4);
  });

  it('filters, trims fields, sorts and pages lists', async () => {
    for (const name of ['n1', 'n2', 'n3']) await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name } });
    await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { name: 'pub', 'router:external': true } });
    const byName = await h.call(h.who.alice, 'GET', '/v2.0/networks?name=n1&name=n3');
    expect(byName.body.networks.map((n: { name: string }) => n.name)).toEqual(['n1', 'n3']);
    const ext = await h.call(h.who.alice, 'GET', '/v2.0/networks?router:external=True');
    expect(ext.body.networks.map((n: { name: string }) => n.name)).toEqual(['pub']);
    const own = await h.call(h.who.alice, 'GET', '/v2.0/networks?project_id=p1&shared=false');
    expect(own.body.networks).toHaveLength(3);
    const fields = await h.call(h.who.alice, 'GET', '/v2.0/networks?fields=id&fields=name');
    expect(Object.keys(fields.body.networks[0]).sort()).toEqual(['id', 'name']);
    const sorted = await h.call(h.who.alice, 'GET', '/v2.0/networks?sort_key=name&sort_dir=desc');
    expect(sorted.body.networks.map((n: { name: string }) => n.name)).toEqual(['pub', 'n3', 'n2', 'n1']);
    const page = await h.call(h.who.alice, 'GET', '/v2.0/networks?sort_key=name&limit=2');
    expect(page.body.networks.map((n: { name: string }) => n.name)).toEqual(['n1', 'n2']);
    const next = page.body.networks_links.find((l: { rel: string }) => l.rel === 'next');
    const p2 = await h.call(h.who.alice, 'GET', next.href.replace(/^https?:\/\/[^/]+\/network/, ''));
    expect(p2.body.networks.map((n: { name: string }) => n.name)).toEqual(['n3', 'pub']);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/networks?sort_key=nope')).status).toBe(400);
  });

  it('creates networks in bulk', async () => {
    const r = await h.call(h.who.alice, 'POST', '/v2.0/networks', { networks: [{ name: 'a' }, { name: 'b' }] });
    expect(r.status).toBe(201);
    expect(r.body.networks).toHaveLength(2);
  });
});
