import { beforeEach, describe, expect, it } from 'vitest';
import { isBrumeError } from '../../shared/errors.ts';
import { networkHarness } from './test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (isBrumeError(err)) return { kind: err.kind, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

async function network(h: H, as: H['who']['alice'], name: string, cidr: string, extra: Record<string, unknown> = {}) {
  const net = (await h.call(as, 'POST', '/v2.0/networks', { network: { name, ...extra } })).body.network;
  const sub = (
    await h.call(as, 'POST', '/v2.0/subnets', {
      subnet: {
        network_id: net.id,
        ip_version: 4,
        cidr,
        allocation_pools: [{ start: cidr.replace(/0\/\d+$/, '10'), end: cidr.replace(/0\/\d+$/, '12') }],
      },
    })
  ).body.subnet;
  return { net, sub };
}

describe('NetworkService', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it("'auto' uses the project's one network, else the shared one, and says when it is ambiguous", async () => {
    expect(await rejection(h.net.allocateForServer(h.who.alice, 'vm0', 'auto', 'h1'))).toMatchObject({
      kind: 'bad_request',
    });
    const shared = await network(h, h.who.admin, 'shared', '10.9.0.0/24', { shared: true });
    const viaShared = await h.net.allocateForServer(h.who.alice, 'vm1', 'auto', 'h1');
    expect(viaShared[0]?.networkId).toBe(shared.net.id);
    const own = await network(h, h.who.alice, 'private', '10.0.0.0/24');
    const ports = await h.net.allocateForServer(h.who.alice, 'vm2', 'auto', 'h1');
    expect(ports).toEqual([
      {
        portId: expect.any(String),
        networkId: own.net.id,
        networkName: 'private',
        macAddress: expect.stringMatching(/^fa:16:3e:/),
        fixedIps: [{ ipAddress: '10.0.0.10', subnetId: own.sub.id, version: 4, prefixLength: 24, gateway: '10.0.0.1' }],
        // What DHCP and network_data.json hand the guest: the network's MTU, the subnet's options.
        mtu: 1450,
        subnets: [{ cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsNameservers: [], hostRoutes: [] }],
      },
    ]);
    await network(h, h.who.alice, 'second', '10.1.0.0/24');
    expect(await rejection(h.net.allocateForServer(h.who.alice, 'vm3', 'auto', 'h1'))).toMatchObject({
      kind: 'conflict',
      message: 'Multiple possible networks found, use a Network ID to be more specific.',
    });
    expect(await h.net.allocateForServer(h.who.alice, 'vm4', 'none', 'h1')).toEqual([]);
  });

  it('creates bound compute ports, binds existing ones, and releases both correctly', async () => {
    const { net } = await network(h, h.who.alice, 'private', '10.0.0.0/24');
    const pre = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
    const got = await h.net.allocateForServer(
      h.who.alice,
      'vm1',
      [{ uuid: net.id, fixed_ip: '10.0.0.50' }, { port: pre.id }],
      'host-a',
    );
    expect(got.map((p) => p.fixedIps[0]?.ipAddress)).toEqual(['10.0.0.50', '10.0.0.10']);
    const shown = await h.call(h.who.admin, 'GET', `/v2.0/ports?device_id=vm1`);
    expect(shown.body.ports).toHaveLength(2);
    for (const p of shown.body.ports) {
      expect(p).toMatchObject({ device_owner: 'compute:nova', 'binding:host_id': 'host-a', status: 'ACTIVE' });
    }
    expect((await h.net.portsOfServer('vm1')).map((p) => p.portId).sort()).toEqual(got.map((p) => p.portId).sort());
    expect(await rejection(h.net.allocateForServer(h.who.alice, 'vm2', [{ port: pre.id }], 'h'))).toMatchObject({
      kind: 'conflict',
    });
    await h.net.releaseForServer('vm1');
    await h.net.releaseForServer('vm1');
    expect(await h.net.portsOfServer('vm1')).toEqual([]);
    const after = await h.call(h.who.alice, 'GET', '/v2.0/ports');
    expect(after.body.ports).toHaveLength(1);
    expect(after.body.ports[0]).toMatchObject({ id: pre.id, device_id: '', device_owner: '', status: 'DOWN' });
  });

  it('rolls back every port when one request fails', async () => {
    const { net } = await network(h, h.who.alice, 'private', '10.0.0.0/24');
    const pre = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
    const err = await rejection(
      h.net.allocateForServer(h.who.alice, 'vm1', [{ uuid: net.id }, { port: pre.id }, { uuid: 'missing' }], 'h'),
    );
    expect(err).toMatchObject({ kind: 'bad_request', message: 'Network missing could not be found.' });
    const ports = (await h.call(h.who.alice, 'GET', '/v2.0/ports')).body.ports;
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatchObject({ id: pre.id, device_id: '' });
    const bobs = await network(h, h.who.bob, 'bobnet', '10.7.0.0/24');
    expect(await rejection(h.net.allocateForServer(h.who.alice, 'vm1', [{ uuid: bobs.net.id }], 'h'))).toMatchObject({
      kind: 'bad_request',
    });
    const taken = await rejection(
      h.net.allocateForServer(h.who.alice, 'vm1', [{ uuid: net.id, fixed_ip: '10.0.0.10' }], 'h'),
    );
    expect(taken).toMatchObject({ kind: 'bad_request', message: 'Fixed IP address 10.0.0.10 is already in use.' });
  });

  it('never hands out the same address to concurrent allocations', async () => {
    const { net } = await network(h, h.who.alice, 'private', '10.0.0.0/24');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => h.net.allocateForServer(h.who.alice, `vm${i}`, [{ uuid: net.id }], 'h')),
    );
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const ips = ok.map((p) => p.fixedIps[0]?.ipAddress);
    expect(ips.sort()).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.12']);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    const viaApi = await Promise.all(
      Array.from({ length: 3 }, () => h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })),
    );
    expect(viaApi.map((r) => r.status)).toEqual([409, 409, 409]);
  });
});
