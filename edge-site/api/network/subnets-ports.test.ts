import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

async function netWithSubnet(h: H, cidr = '10.0.0.0/24', extra: Record<string, unknown> = {}) {
  const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'private' } })).body.network;
  const sub = await h.call(h.who.alice, 'POST', '/v2.0/subnets', {
    subnet: { network_id: net.id, ip_version: 4, cidr, ...extra },
  });
  return { net, sub };
}

describe('network API: subnets', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('defaults the gateway to the first host and the pool to the other hosts', async () => {
    const { net, sub } = await netWithSubnet(h);
    expect(sub.status).toBe(201);
    expect(sub.body.subnet).toMatchObject({
      cidr: '10.0.0.0/24',
      ip_version: 4,
      gateway_ip: '10.0.0.1',
      allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
      enable_dhcp: true,
      dns_nameservers: [],
      host_routes: [],
      network_id: net.id,
      project_id: 'p1',
    });
    const shown = await h.call(h.who.alice, 'GET', `/v2.0/networks/${net.id}`);
    expect(shown.body.network.subnets).toEqual([sub.body.subnet.id]);
  });

  it('splits the pool around a gateway in the middle, and allows no gateway', async () => {
    const { sub } = await netWithSubnet(h, '10.1.0.0/29', { gateway_ip: '10.1.0.3' });
    expect(sub.body.subnet.allocation_pools).toEqual([
      { start: '10.1.0.1', end: '10.1.0.2' },
      { start: '10.1.0.4', end: '10.1.0.6' },
    ]);
    const none = await netWithSubnet(h, '10.2.0.0/30', { gateway_ip: null });
    expect(none.sub.body.subnet).toMatchObject({
      gateway_ip: null,
      allocation_pools: [{ start: '10.2.0.1', end: '10.2.0.2' }],
    });
  });

  it('validates cidr, pools, gateway and overlaps', async () => {
    const bad = await netWithSubnet(h, '10.0.0.1/24');
    expect(bad.sub.status).toBe(400);
    expect(bad.sub.body.NeutronError.type).toBe('InvalidInput');
    expect(bad.sub.body.NeutronError.message).toContain("'10.0.0.0/24' is recommended");
    expect((await netWithSubnet(h, 'banana')).sub.status).toBe(400);
    const out = await netWithSubnet(h, '10.0.0.0/24', { allocation_pools: [{ start: '10.0.0.10', end: '10.0.1.5' }] });
    expect(out.sub.status).toBe(400);
    const overlap = await netWithSubnet(h, '10.0.0.0/24', {
      allocation_pools: [
        { start: '10.0.0.10', end: '10.0.0.20' },
        { start: '10.0.0.15', end: '10.0.0.30' },
      ],
    });
    expect(overlap.sub.status).toBe(409);
    const gwInPool = await netWithSubnet(h, '10.0.0.0/24', {
      gateway_ip: '10.0.0.12',
      allocation_pools: [{ start: '10.0.0.10', end: '10.0.0.20' }],
    });
    expect(gwInPool.sub.status).toBe(409);
    const { net } = await netWithSubnet(h, '10.5.0.0/16');
    const dup = await h.call(h.who.alice, 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.5.3.0/24' },
    });
    expect(dup.status).toBe(400);
    expect(dup.body.NeutronError.message).toContain('overlaps with another subnet');
    const missing = await h.call(h.who.alice, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: 'x' } });
    expect(missing.status).toBe(400);
  });

  it('accepts IPv6 subnets', async () => {
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).body.network;
    const r = await h.call(h.who.alice, 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 6, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac' },
    });
    expect(r.status).toBe(201);
    expect(r.body.subnet).toMatchObject({ gateway_ip: '2001:db8::1', ipv6_address_mode: 'slaac' });
  });

  it('updates gateway, dns and routes, refusing read-only attributes', async () => {
    const { sub } = await netWithSubnet(h);
    const id = sub.body.subnet.id;
    const u = await h.call(h.who.alice, 'PUT', `/v2.0/subnets/${id}`, {
      subnet: {
        name: 's',
        gateway_ip: '10.0.0.254',
        allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.200' }],
        dns_nameservers: ['8.8.8.8'],
        host_routes: [{ destination: '10.20.0.0/16', nexthop: '10.0.0.9' }],
        enable_dhcp: false,
      },
    });
    expect(u.status).toBe(200);
    expect(u.body.subnet).toMatchObject({ name: 's', gateway_ip: '10.0.0.254', enable_dhcp: false });
    const ro = await h.call(h.who.alice, 'PUT', `/v2.0/subnets/${id}`, { subnet: { cidr: '10.9.0.0/24' } });
    expect(ro.status).toBe(400);
    const gwInPool = await h.call(h.who.alice, 'PUT', `/v2.0/subnets/${id}`, { subnet: { gateway_ip: '10.0.0.100' } });
    expect(gwInPool.status).toBe(409);
  });
});

describe('network API: ports and IPAM', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('creates a port with an address from the pool, a generated MAC and the default group', async () => {
    const { net, sub } = await netWithSubnet(h);
    const r = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, name: 'p' } });
    expect(r.status).toBe(201);
    const p = r.body.port;
    expect(p.fixed_ips).toEqual([{ subnet_id: sub.body.subnet.id, ip_address: '10.0.0.2' }]);
    expect(p.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    expect(p).toMatchObject({ status: 'DOWN', device_id: '', device_owner: '', allowed_address_pairs: [] });
    expect(p['binding:vnic_type']).toBe('normal');
    expect(p).not.toHaveProperty('binding:host_id');
    const groups = await h.call(h.who.alice, 'GET', '/v2.0/security-groups?name=default');
    expect(p.security_groups).toEqual([groups.body.security_groups[0].id]);
    const admin = await h.call(h.who.admin, 'GET', `/v2.0/ports/${p.id}`);
    expect(admin.body.port).toMatchObject({ 'binding:host_id': '', 'binding:vif_type': 'unbound' });
  });

  it('honours explicit addresses and refuses taken, foreign and gateway ones', async () => {
    const { net, sub } = await netWithSubnet(h);
    const sid = sub.body.subnet.id;
    const a = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.50' }] },
    });
    expect(a.body.port.fixed_ips).toEqual([{ subnet_id: sid, ip_address: '10.0.0.50' }]);
    const taken = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ subnet_id: sid, ip_address: '10.0.0.50' }] },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.NeutronError.type).toBe('IpAddressAlreadyAllocated');
    const foreign = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '192.168.0.5' }] },
    });
    expect(foreign.status).toBe(400);
    const gw = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.1' }] },
    });
    expect(gw.status).toBe(409);
    const bySubnet = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ subnet_id: sid }] },
    });
    expect(bySubnet.body.port.fixed_ips[0].ip_address).toBe('10.0.0.2');
  });

  it('exhausts a pool with IpAddressGenerationFailure and frees addresses on delete', async () => {
    const { net, sub } = await netWithSubnet(h, '10.3.0.0/29', {
      allocation_pools: [{ start: '10.3.0.2', end: '10.3.0.3' }],
    });
    const p1 = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
    const p2 = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
    expect([p1.body.port.fixed_ips[0].ip_address, p2.body.port.fixed_ips[0].ip_address]).toEqual([
      '10.3.0.2',
      '10.3.0.3',
    ]);
    const full = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
    expect(full.status).toBe(409);
    expect(full.body.NeutronError.type).toBe('IpAddressGenerationFailure');
    const inUse = await h.call(h.who.alice, 'DELETE', `/v2.0/subnets/${sub.body.subnet.id}`);
    expect(inUse.status).toBe(409);
    const netInUse = await h.call(h.who.alice, 'DELETE', `/v2.0/networks/${net.id}`);
    expect(netInUse.status).toBe(409);
    expect(netInUse.body.NeutronError.type).toBe('NetworkInUse');
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/ports/${p1.body.port.id}`)).status).toBe(204);
    const again = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } });
    expect(again.body.port.fixed_ips[0].ip_address).toBe('10.3.0.2');
  });

  it('changes fixed IPs on update and keeps the kept ones', async () => {
    const { net, sub } = await netWithSubnet(h);
    const sid = sub.body.subnet.id;
    const p = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
    const u = await h.call(h.who.alice, 'PUT', `/v2.0/ports/${p.id}`, {
      port: { fixed_ips: [{ subnet_id: sid }, { ip_address: '10.0.0.77' }], name: 'x' },
    });
    expect(u.status).toBe(200);
    expect(u.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address)).toEqual(['10.0.0.2', '10.0.0.77']);
    const moved = await h.call(h.who.alice, 'PUT', `/v2.0/ports/${p.id}`, {
      port: { fixed_ips: [{ ip_address: '10.0.0.78' }] },
    });
    expect(moved.body.port.fixed_ips).toEqual([{ subnet_id: sid, ip_address: '10.0.0.78' }]);
    const other = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.2' }] },
    });
    expect(other.status).toBe(201);
  });

  it('filters ports by fixed_ips, device and network; fields= trims', async () => {
    const { net, sub } = await netWithSubnet(h);
    await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, device_id: 'd1' } });
    await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'x:y' } });
    const byIp = await h.call(h.who.alice, 'GET', '/v2.0/ports?fixed_ips=ip_address%3D10.0.0.3');
    expect(byIp.body.ports).toHaveLength(1);
    expect(byIp.body.ports[0].device_owner).toBe('x:y');
    const bySub = await h.call(h.who.alice, 'GET', `/v2.0/ports?fixed_ips=subnet_id%3D${sub.body.subnet.id}`);
    expect(bySub.body.ports).toHaveLength(2);
    const byDev = await h.call(h.who.alice, 'GET', `/v2.0/ports?device_id=d1&network_id=${net.id}&fields=id`);
    expect(byDev.body.ports).toEqual([{ id: expect.any(String) }]);
    expect((await h.call(h.who.bob, 'GET', '/v2.0/ports')).body.ports).toEqual([]);
  });

  it('validates port attributes and keeps binding admin-only', async () => {
    const { net } = await netWithSubnet(h);
    const host = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, 'binding:host_id': 'h1' },
    });
    expect(host.status).toBe(403);
    const mac = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: 'zz' } });
    expect(mac.status).toBe(400);
    const noNet = await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: 'nope' } });
    expect(noNet.status).toBe(404);
    const sg = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, security_groups: ['nope'] },
    });
    expect(sg.status).toBe(404);
    const bound = await h.call(h.who.admin, 'POST', '/v2.0/ports', {
      port: { network_id: net.id, 'binding:host_id': 'h1', device_id: 'vm', device_owner: 'compute:nova' },
    });
    expect(bound.body.port).toMatchObject({ status: 'ACTIVE', 'binding:vif_type': 'bridge' });
    const m = bound.body.port.mac_address;
    const dupMac = await h.call(h.who.admin, 'POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: m } });
    expect(dupMac.status).toBe(409);
    const bulk = await h.call(h.who.alice, 'POST', '/v2.0/ports', {
      ports: [{ network_id: net.id }, { network_id: net.id, fixed_ips: [{ ip_address: '10.9.9.9' }] }],
    });
    expect(bulk.status).toBe(400);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/ports?project_id=p1')).body.ports).toHaveLength(0);
  });
  it('stores extra DHCP options and merges them on update', async () => {
    const { net } = await netWithSubnet(h);
    const opts = [
      { opt_name: 'bootfile-name', opt_value: 'pxelinux.0' },
      { opt_name: 'tftp-server', opt_value: '123.123.123.123' },
    ];
    const port = (
      await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, extra_dhcp_opts: opts } })
    ).body.port;
    expect(port.extra_dhcp_opts).toEqual(opts.map((o) => ({ ...o, ip_version: 4 })));
    const upd = await h.call(h.who.alice, 'PUT', `/v2.0/ports/${port.id}`, {
      port: {
        extra_dhcp_opts: [
          { opt_name: 'bootfile-name', opt_value: null },
          { opt_name: 'tftp-server', opt_value: '10.0.0.9' },
          { opt_name: 'server-ip-address', opt_value: '10.0.0.8', ip_version: 4 },
        ],
      },
    });
    expect(upd.body.port.extra_dhcp_opts).toEqual([
      { opt_name: 'tftp-server', opt_value: '10.0.0.9', ip_version: 4 },
      { opt_name: 'server-ip-address', opt_value: '10.0.0.8', ip_version: 4 },
    ]);
    const bad = await h.call(h.who.alice, 'PUT', `/v2.0/ports/${port.id}`, {
      port: { extra_dhcp_opts: [{ opt_name: 'x', opt_value: 'y', ip_version: 5 }] },
    });
    expect(bad.status).toBe(400);
  });
});
