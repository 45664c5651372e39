import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

/** An external network, alice's private network with a port, and a router joining them unless `connect` is false. */
async function topology(h: H, connect = true) {
  const pub = (
    await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })
  ).body.network;
  const pubSub = (
    await h.call(h.who.admin, 'POST', '/v2.0/subnets', {
      subnet: { network_id: pub.id, ip_version: 4, cidr: '172.24.4.0/24' },
    })
  ).body.subnet;
  const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'private' } })).body.network;
  const sub = (
    await h.call(h.who.alice, 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' },
    })
  ).body.subnet;
  const port = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
  const router = (
    await h.call(h.who.alice, 'POST', '/v2.0/routers', {
      router: { external_gateway_info: { network_id: pub.id } },
    })
  ).body.router;
  if (connect) {
    await h.call(h.who.alice, 'PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
  }
  return { pub, pubSub, net, sub, port, router };
}

describe('network API: floating IPs', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('allocates from the external subnet, associates, disassociates and releases', async () => {
    const t = await topology(h);
    const created = await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: t.pub.id },
    });
    expect(created.status).toBe(201);
    const fip = created.body.floatingip;
    expect(fip).toMatchObject({
      floating_network_id: t.pub.id,
      floating_ip_address: '172.24.4.3',
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      port_details: null,
      project_id: 'p1',
    });
    const fipPorts = await h.call(h.who.admin, 'GET', `/v2.0/ports?device_id=${fip.id}`);
    expect(fipPorts.body.ports[0]).toMatchObject({ device_owner: 'network:floatingip', network_id: t.pub.id });

    const assoc = await h.call(h.who.alice, 'PUT', `/v2.0/floatingips/${fip.id}`, {
      floatingip: { port_id: t.port.id },
    });
    expect(assoc.status).toBe(200);
    expect(assoc.body.floatingip).toMatchObject({
      port_id: t.port.id,
      fixed_ip_address: t.port.fixed_ips[0].ip_address,
      router_id: t.router.id,
      status: 'ACTIVE',
      port_details: { network_id: t.net.id, mac_address: t.port.mac_address },
    });
    const listed = await h.call(h.who.alice, 'GET', `/v2.0/floatingips?port_id=${t.port.id}`);
    expect(listed.body.floatingips.map((f: { id: string }) => f.id)).toEqual([fip.id]);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/floatingips?status=DOWN')).body.floatingips).toHaveLength(0);
    expect((await h.call(h.who.bob, 'GET', '/v2.0/floatingips')).body.floatingips).toHaveLength(0);
    expect((await h.call(h.who.bob, 'GET', `/v2.0/floatingips/${fip.id}`)).status).toBe(404);

    // The router is now needed by the floating IP.
    const pinned = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${t.router.id}/remove_router_interface`, {
      subnet_id: t.sub.id,
    });
    expect(pinned.body.NeutronError.type).toBe('RouterInterfaceInUseByFloatingIP');
    const gw = await h.call(h.who.alice, 'PUT', `/v2.0/routers/${t.router.id}`, {
      router: { external_gateway_info: {} },
    });
    expect(gw.status).toBe(409);

    const dis = await h.call(h.who.alice, 'PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    expect(dis.body.floatingip).toMatchObject({
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
    });
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/floatingips/${fip.id}`)).status).toBe(204);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/floatingips/${fip.id}`)).body.NeutronError.type).toBe(
      'FloatingIPNotFound',
    );
    expect((await h.call(h.who.admin, 'GET', `/v2.0/ports?device_id=${fip.id}`)).body.ports).toHaveLength(0);
  });

  it('creates associated, and a deleted port leaves the floating IP DOWN', async () => {
    const t = await topology(h);
    const fixed = t.port.fixed_ips[0].ip_address;
    const fip = (
      await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
        floatingip: { floating_network_id: t.pub.id, port_id: t.port.id, fixed_ip_address: fixed },
      })
    ).body.floatingip;
    expect(fip).toMatchObject({ port_id: t.port.id, fixed_ip_address: fixed, status: 'ACTIVE' });
    const second = await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: t.pub.id, port_id: t.port.id },
    });
    expect(second.status).toBe(409);
    expect(second.body.NeutronError.type).toBe('FloatingIPPortAlreadyAssociated');
    // The failed create released its address.
    expect((await h.call(h.who.admin, 'GET', '/v2.0/ports?device_owner=network:floatingip')).body.ports).toHaveLength(
      1,
    );
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/ports/${t.port.id}`)).status).toBe(204);
    const after = (await h.call(h.who.alice, 'GET', `/v2.0/floatingips/${fip.id}`)).body.floatingip;
    expect(after).toMatchObject({ port_id: null, status: 'DOWN', router_id: null });
  });

  it('refuses unreachable ports, private networks and foreign ports like Neutron', async () => {
    const t = await topology(h, false);
    // An external network is visible to all, its subnets are not.
    expect((await h.call(h.who.alice, 'GET', `/v2.0/networks/${t.pub.id}`)).status).toBe(200);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/subnets/${t.pubSub.id}`)).status).toBe(404);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/subnets')).body.subnets.map((s: { id: string }) => s.id)).toEqual([
      t.sub.id,
    ]);
    const unreachable = await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: t.pub.id, port_id: t.port.id },
    });
    expect(unreachable.status).toBe(404);
    expect(unreachable.body.NeutronError.type).toBe('ExternalGatewayForFloatingIPNotFound');
    const priv = await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: t.net.id },
    });
    expect(priv.status).toBe(400);
    expect(priv.body.NeutronError.message).toContain('is not a valid external network');
    expect(
      (await h.call(h.who.alice, 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: 'nope' } })).status,
    ).toBe(404);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/floatingips', { floatingip: {} })).status).toBe(400);
    const fip = (
      await h.call(h.who.alice, 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: t.pub.id } })
    ).body.floatingip;
    const noSuchIp = await h.call(h.who.alice, 'PUT', `/v2.0/floatingips/${fip.id}`, {
      floatingip: { port_id: t.port.id, fixed_ip_address: '10.0.0.99' },
    });
    expect(noSuchIp.status).toBe(400);
    const bobPort = await h.call(h.who.bob, 'PUT', `/v2.0/floatingips/${fip.id}`, {
      floatingip: { port_id: t.port.id },
    });
    expect(bobPort.status).toBe(404);
    const notMine = await h.call(h.who.alice, 'PUT', `/v2.0/floatingips/${fip.id}`, {
      floatingip: { port_id: 'nope' },
    });
    expect(notMine.body.NeutronError.type).toBe('PortNotFound');
    expect(
      (
        await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
          floatingip: { floating_network_id: t.pub.id, floating_ip_address: '172.24.4.99' },
        })
      ).status,
    ).toBe(403);
    const chosen = await h.call(h.who.admin, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: t.pub.id, floating_ip_address: '172.24.4.99' },
    });
    expect(chosen.body.floatingip.floating_ip_address).toBe('172.24.4.99');
  });
  it('deletes unassociated floating IPs with their external network; associated ones keep it in use', async () => {
    const t = await topology(h);
    const fip = (
      await h.call(h.who.alice, 'POST', '/v2.0/floatingips', {
        floatingip: { floating_network_id: t.pub.id, port_id: t.port.id },
      })
    ).body.floatingip;
    await h.call(h.who.alice, 'PUT', `/v2.0/routers/${t.router.id}/remove_router_interface`, { subnet_id: t.sub.id });
    const inUse = await h.call(h.who.admin, 'DELETE', `/v2.0/networks/${t.pub.id}`);
    expect(inUse.status).toBe(409);
    await h.call(h.who.alice, 'PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await h.call(h.who.alice, 'PUT', `/v2.0/routers/${t.router.id}`, { router: { external_gateway_info: {} } });
    expect((await h.call(h.who.admin, 'DELETE', `/v2.0/networks/${t.pub.id}`)).status).toBe(204);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/floatingips/${fip.id}`)).status).toBe(404);
  });
});
