import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

/** A network + subnet owned by `who` (alice by default). */
async function netWithSubnet(h: H, cidr: string, who = h.who.alice) {
  const net = (await h.call(who, 'POST', '/v2.0/networks', { network: { name: `n-${cidr}` } })).body.network;
  const sub = (await h.call(who, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr } })).body
    .subnet;
  return { net, sub };
}

/** An external network with a subnet, created by the admin. */
async function publicNet(h: H) {
  const net = (
    await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })
  ).body.network;
  const sub = (
    await h.call(h.who.admin, 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '172.24.4.0/24' },
    })
  ).body.subnet;
  return { net, sub };
}

describe('network API: routers', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('creates, shows, lists, updates and deletes a router', async () => {
    const created = await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { name: 'r1' } });
    expect(created.status).toBe(201);
    const r = created.body.router;
    expect(r).toMatchObject({
      name: 'r1',
      admin_state_up: true,
      status: 'ACTIVE',
      external_gateway_info: null,
      routes: [],
      project_id: 'p1',
      tenant_id: 'p1',
      description: '',
    });
    expect((await h.call(h.who.alice, 'GET', `/v2.0/routers/${r.id}`)).body.router.id).toBe(r.id);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/routers?name=r1')).body.routers).toHaveLength(1);
    expect((await h.call(h.who.bob, 'GET', '/v2.0/routers')).body.routers).toHaveLength(0);
    expect((await h.call(h.who.bob, 'GET', `/v2.0/routers/${r.id}`)).status).toBe(404);
    const upd = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { name: 'r2', admin_state_up: false },
    });
    expect(upd.body.router).toMatchObject({ name: 'r2', admin_state_up: false, revision_number: 2 });
    expect((await h.call(h.who.reader, 'DELETE', `/v2.0/routers/${r.id}`)).status).toBe(403);
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/routers/${r.id}`)).status).toBe(204);
    const gone = await h.call(h.who.alice, 'GET', `/v2.0/routers/${r.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.NeutronError.type).toBe('RouterNotFound');
  });

  it('sets a gateway on an external network only, with a router_gateway port', async () => {
    const pub = await publicNet(h);
    const priv = await netWithSubnet(h, '10.0.0.0/24');
    const r = (await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { name: 'r' } })).body.router;
    const notExt = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { external_gateway_info: { network_id: priv.net.id } },
    });
    expect(notExt.status).toBe(400);
    expect(notExt.body.NeutronError.message).toContain('is not an external network');
    const missing = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { external_gateway_info: { network_id: r.id } },
    });
    expect(missing.status).toBe(404);
    const snat = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { external_gateway_info: { network_id: pub.net.id, enable_snat: false } },
    });
    expect(snat.status).toBe(403);
    const ok = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { external_gateway_info: { network_id: pub.net.id } },
    });
    expect(ok.status).toBe(200);
    const gw = ok.body.router.external_gateway_info;
    expect(gw).toMatchObject({ network_id: pub.net.id, enable_snat: true });
    expect(gw.external_fixed_ips).toEqual([{ subnet_id: pub.sub.id, ip_address: '172.24.4.2' }]);
    const gwPorts = await h.call(h.who.admin, 'GET', `/v2.0/ports?device_id=${r.id}`);
    expect(gwPorts.body.ports).toHaveLength(1);
    expect(gwPorts.body.ports[0]).toMatchObject({ device_owner: 'network:router_gateway', project_id: '' });
    // The admin may pick SNAT and the address; clearing removes the port.
    const admin = await h.call(h.who.admin, 'PUT', `/v2.0/routers/${r.id}`, {
      router: {
        external_gateway_info: {
          network_id: pub.net.id,
          enable_snat: false,
          external_fixed_ips: [{ ip_address: '172.24.4.50' }],
        },
      },
    });
    expect(admin.body.router.external_gateway_info).toMatchObject({
      enable_snat: false,
      external_fixed_ips: [{ subnet_id: pub.sub.id, ip_address: '172.24.4.50' }],
    });
    const cleared = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, {
      router: { external_gateway_info: {} },
    });
    expect(cleared.body.router.external_gateway_info).toBeNull();
    expect((await h.call(h.who.admin, 'GET', `/v2.0/ports?device_id=${r.id}`)).body.ports).toHaveLength(0);
  });

  it('creates a router with its gateway and rejects a non-external one at create', async () => {
    const pub = await publicNet(h);
    const priv = await netWithSubnet(h, '10.0.0.0/24');
    const bad = await h.call(h.who.alice, 'POST', '/v2.0/routers', {
      router: { external_gateway_info: { network_id: priv.net.id } },
    });
    expect(bad.status).toBe(400);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/routers')).body.routers).toHaveLength(0);
    const r = await h.call(h.who.alice, 'POST', '/v2.0/routers', {
      router: { external_gateway_info: { network_id: pub.net.id } },
    });
    expect(r.status).toBe(201);
    expect(r.body.router.external_gateway_info.external_fixed_ips).toHaveLength(1);
    // Deleting the router frees the gateway port, so the external network can go.
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/routers/${r.body.router.id}`)).status).toBe(204);
    expect((await h.call(h.who.admin, 'DELETE', `/v2.0/networks/${pub.net.id}`)).status).toBe(204);
  });

  it('adds and removes interfaces by subnet and by port, with Neutron errors', async () => {
    const a = await netWithSubnet(h, '10.0.0.0/24');
    const b = await netWithSubnet(h, '10.0.1.0/24');
    const overlapping = await netWithSubnet(h, '10.0.0.0/25');
    const r = (await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { name: 'r' } })).body.router;
    const path = (act: string) => `/v2.0/routers/${r.id}/${act}_router_interface`;

    const added = await h.call(h.who.alice, 'PUT', path('add'), { subnet_id: a.sub.id });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ id: r.id, subnet_id: a.sub.id, network_id: a.net.id, subnet_ids: [a.sub.id] });
    const port = (await h.call(h.who.alice, 'GET', `/v2.0/ports/${added.body.port_id}`)).body.port;
    expect(port).toMatchObject({
      device_id: r.id,
      device_owner: 'network:router_interface',
      fixed_ips: [{ subnet_id: a.sub.id, ip_address: '10.0.0.1' }],
      status: 'ACTIVE',
    });
    expect((await h.call(h.who.alice, 'GET', `/v2.0/ports?device_id=${r.id}`)).body.ports).toHaveLength(1);

    const again = await h.call(h.who.alice, 'PUT', path('add'), { subnet_id: a.sub.id });
    expect(again.status).toBe(400);
    expect(again.body.NeutronError.message).toContain('Router already has a port on subnet');
    const overlap = await h.call(h.who.alice, 'PUT', path('add'), { subnet_id: overlapping.sub.id });
    expect(overlap.status).toBe(400);
    expect(overlap.body.NeutronError.message).toContain('overlaps with cidr');
    // Another router cannot take the same gateway address.
    const r2 = (await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: {} })).body.router;
    const taken = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r2.id}/add_router_interface`, {
      subnet_id: a.sub.id,
    });
    expect(taken.status).toBe(409);
    expect((await h.call(h.who.alice, 'PUT', path('add'), { subnet_id: 'nope' })).status).toBe(404);
    expect((await h.call(h.who.bob, 'PUT', path('add'), { subnet_id: b.sub.id })).status).toBe(404);
    expect((await h.call(h.who.alice, 'PUT', path('add'), {})).status).toBe(400);
    expect((await h.call(h.who.alice, 'PUT', path('add'), { subnet_id: b.sub.id, port_id: 'x' })).status).toBe(400);

    // By port: an unbound port is adopted; a bound one is a 409.
    const p = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: b.net.id } })).body.port;
    const byPort = await h.call(h.who.alice, 'PUT', path('add'), { port_id: p.id });
    expect(byPort.body).toMatchObject({ port_id: p.id, subnet_id: b.sub.id });
    const inUse = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r2.id}/add_router_interface`, { port_id: p.id });
    expect(inUse.status).toBe(409);
    expect(inUse.body.NeutronError.type).toBe('PortInUse');

    // Interfaces keep the router (and its subnets) in use.
    const busy = await h.call(h.who.alice, 'DELETE', `/v2.0/routers/${r.id}`);
    expect(busy.status).toBe(409);
    expect(busy.body.NeutronError.type).toBe('RouterInUse');
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/subnets/${a.sub.id}`)).status).toBe(409);
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/ports/${port.id}`)).status).toBe(409);

    const notThere = await h.call(h.who.alice, 'PUT', path('remove'), { subnet_id: overlapping.sub.id });
    expect(notThere.status).toBe(404);
    expect(notThere.body.NeutronError.type).toBe('RouterInterfaceNotFoundForSubnet');
    const noPort = await h.call(h.who.alice, 'PUT', path('remove'), { port_id: 'nope' });
    expect(noPort.body.NeutronError.type).toBe('RouterInterfaceNotFound');
    const removed = await h.call(h.who.alice, 'PUT', path('remove'), { subnet_id: a.sub.id });
    expect(removed.body).toMatchObject({ id: r.id, port_id: port.id, subnet_id: a.sub.id });
    expect((await h.call(h.who.alice, 'GET', `/v2.0/ports/${port.id}`)).status).toBe(404);
    expect((await h.call(h.who.alice, 'PUT', path('remove'), { port_id: p.id })).status).toBe(200);
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/routers/${r.id}`)).status).toBe(204);
  });

  it('accepts extra routes only through connected subnets', async () => {
    const a = await netWithSubnet(h, '10.0.0.0/24');
    const r = (await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: {} })).body.router;
    const put = (routes: unknown) => h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}`, { router: { routes } });
    const unconnected = await put([{ destination: '192.168.0.0/24', nexthop: '10.0.0.5' }]);
    expect(unconnected.status).toBe(400);
    expect(unconnected.body.NeutronError.type).toBe('InvalidRoutes');
    await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: a.sub.id });
    const ok = await put([{ destination: '192.168.0.0/24', nexthop: '10.0.0.5' }]);
    expect(ok.status).toBe(200);
    expect(ok.body.router.routes).toEqual([{ destination: '192.168.0.0/24', nexthop: '10.0.0.5' }]);
    expect((await put([{ destination: '192.168.1.0/24', nexthop: '10.0.0.1' }])).status).toBe(400);
    expect((await put([{ destination: 'nope', nexthop: '10.0.0.5' }])).status).toBe(400);
    expect((await put([{ destination: '192.168.1.0/24' }])).status).toBe(400);
    // A route pins its interface.
    const pinned = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}/remove_router_interface`, {
      subnet_id: a.sub.id,
    });
    expect(pinned.status).toBe(409);
    expect(pinned.body.NeutronError.type).toBe('RouterInterfaceInUseByRoute');
    expect((await put(null)).body.router.routes).toEqual([]);
  });

  it('validates bodies', async () => {
    expect((await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { bogus: 1 } })).status).toBe(400);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { admin_state_up: 'x' } })).status).toBe(400);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { status: 'DOWN' } })).status).toBe(400);
    expect((await h.call(h.who.reader, 'POST', '/v2.0/routers', { router: {} })).status).toBe(403);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: { distributed: false } })).status).toBe(403);
    expect((await h.call(h.who.admin, 'POST', '/v2.0/routers', { router: { ha: true } })).status).toBe(400);
    expect((await h.call(h.who.admin, 'POST', '/v2.0/routers', { router: { distributed: false } })).status).toBe(201);
    expect((await h.call(h.who.alice, 'PUT', '/v2.0/routers/nope', { router: { name: 'x' } })).status).toBe(404);
    expect((await h.call(h.who.alice, 'DELETE', '/v2.0/routers/nope')).status).toBe(404);
  });
});
