/**
 * Routers and floating IPs for real, without VMs (root only; skipped with a message elsewhere): "VMs" are client
 * namespaces whose veth end, named like the port's tap, sits in the agent's namespace (as in data-plane.test.ts),
 * and "the outside world" is a namespace of its own with a bridge at 10.84.0.1 that the data plane's provider uplink
 * plugs into. Covers east-west routing, isolation of a network the router does not join, SNAT and enable_snat,
 * floating IP DNAT under security groups, disassociation, recovery after a restart, and router removal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { InstancePort } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy, RouterSpec, SecurityRuleSpec } from '../../shared/schemas/network-policy.ts';
import { createNetworkDataPlane, type NetworkDataPlane } from './data-plane.ts';
import { removeDataPlanes } from './for-agent.ts';
import { namespaceName, tapName } from './names.ts';
import { gatewayName, legName, routerNamespace, routerNamespacePrefix } from './router-names.ts';
import { dataPlaneUnavailable, inNs, sh } from './sh.ts';

const why = await dataPlaneUnavailable();
if (why) process.stderr.write(`[router data plane] integration test skipped: ${why}\n`);

const rule = (r: Partial<SecurityRuleSpec>): SecurityRuleSpec => ({
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: null,
  portMin: null,
  portMax: null,
  remoteIpPrefix: null,
  remoteGroupId: null,
  ...r,
});

describe.skipIf(why !== null)('routers and floating IPs in namespaces (root)', () => {
  let dir = '';
  let plane: NetworkDataPlane;
  const suffix = `${process.pid % 100000}`;
  const outside = `brout${suffix}`;
  const hostNs = () => namespaceName('router-host', dir);
  const clients: string[] = [];
  const port = (n: number, networkId: string): InstancePort => ({
    id: `p${n}${suffix}-0000-0000-0000-000000000000`,
    networkId,
    mac: `52:54:00:bb:00:0${n}`,
    ips: [`10.8${n}.0.1${n}/24`],
    gateway: `10.8${n}.0.1`,
    securityGroups: ['sg-default'],
  });
  const p1 = port(1, 'net-a');
  const p2 = port(2, 'net-b');
  const p3 = port(3, 'net-c');
  const client = (p: InstancePort) => `br${suffix}-${p.id.slice(0, 2)}`;
  const addr = (p: InstancePort) => (p.ips[0] ?? '').split('/')[0] ?? '';
  const pingFrom = (ns: string, ip: string) =>
    inNs(ns, 'busybox', ['ping', '-c', '1', '-W', '1', ip]).then(
      () => true,
      () => false,
    );
  const ping = (from: InstancePort, ip: string) => pingFrom(client(from), ip);
  const leg = (n: number, networkId: string) => ({
    portId: `r${n}${suffix}-leg`,
    networkId,
    mac: `fa:16:3e:00:00:0${n}`,
    ips: [`10.8${n}.0.1/24`],
  });
  const router = (opts: { snat?: boolean; fip?: boolean } = {}): RouterSpec => ({
    id: `router${suffix}`,
    interfaces: [leg(1, 'net-a'), leg(2, 'net-b')],
    gateway: {
      portId: `g${suffix}-gw`,
      networkId: 'net-ext',
      mac: 'fa:16:3e:00:00:09',
      ips: ['10.84.0.10/24'],
      nextHop: '10.84.0.1',
      enableSnat: opts.snat ?? true,
    },
    floatingIps: opts.fip ? [{ id: 'fip1', floatingIp: '10.84.0.50', fixedIp: addr(p1) }] : [],
    routes: [],
  });
  let revision = 0;
  const policy = (routers: RouterSpec[], extra: SecurityRuleSpec[] = []): HostNetworkPolicy => ({
    revision: ++revision,
    ports: Object.fromEntries([p1, p2, p3].map((p) => [p.id, { securityGroups: ['sg-default'], portSecurity: true }])),
    groups: [
      {
        id: 'sg-default',
        members: [p1, p2, p3].map(addr),
        rules: [rule({ direction: 'egress' }), rule({ remoteGroupId: 'sg-default' }), ...extra],
      },
    ],
    routers,
  });
  const routerNamespaces = async () =>
    (await sh('ip', ['netns', 'list'])).split('\n').filter((l) => l.startsWith(routerNamespacePrefix(hostNs())));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brume-rtr-'));
    await sh('ip', ['netns', 'add', outside]);
    await inNs(outside, 'ip', ['link', 'set', 'lo', 'up']);
    await inNs(outside, 'ip', ['link', 'add', 'brext', 'type', 'bridge']);
    await inNs(outside, 'ip', ['addr', 'add', '10.84.0.1/24', 'dev', 'brext']);
    await inNs(outside, 'ip', ['link', 'set', 'brext', 'up']);
    const make = () =>
      createNetworkDataPlane({
        dir: join(dir, 'network'),
        namespace: hostNs(),
        log: silentLogger,
        provider: { namespace: outside, bridge: 'brext' },
      });
    plane = make();
    await sh('ip', ['netns', 'add', hostNs()]);
    for (const p of [p1, p2, p3]) {
      const c = client(p);
      clients.push(c);
      await sh('ip', ['netns', 'add', c]);
      await sh('ip', ['link', 'add', tapName(p.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
      await sh('ip', ['link', 'set', tapName(p.id), 'netns', hostNs()]);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'address', p.mac]);
      await inNs(c, 'ip', ['addr', 'add', p.ips[0] ?? '', 'dev', 'eth0']);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'up']);
      await inNs(c, 'ip', ['route', 'add', 'default', 'via', p.gateway ?? '']);
      await plane.plugPorts(`vm${p.id.slice(1, 2)}`, [p]);
    }
    await plane.applyPolicy(policy([]));
  });

  afterAll(async () => {
    await plane?.destroy().catch(() => undefined);
    if (dir) await removeDataPlanes(dir).catch(() => undefined);
    for (const c of [...clients, outside]) await sh('ip', ['netns', 'del', c]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without a router, networks are isolated and each bridge answers at its gateway', async () => {
    expect(await ping(p1, '10.81.0.1')).toBe(true);
    expect(await ping(p1, addr(p2))).toBe(false);
    expect(await ping(p1, '10.84.0.1')).toBe(false);
  });

  it('a router joins its two networks, SNATs them to the outside, and leaves the third network out', async () => {
    await plane.applyPolicy(policy([router()]));
    expect(await routerNamespaces()).toHaveLength(1);
    expect(await ping(p1, '10.81.0.1')).toBe(true);
    expect(await ping(p1, addr(p2))).toBe(true);
    expect(await ping(p2, addr(p1))).toBe(true);
    expect(await ping(p3, addr(p1))).toBe(false);
    expect(await ping(p1, addr(p3))).toBe(false);
    expect(await ping(p1, '10.84.0.1')).toBe(true);
    // DHCP still answers from the bridge's moved address, and still names the gateway the router now holds.
    const lease = await inNs(client(p1), 'sh', ['-c', 'busybox udhcpc -i eth0 -n -q -t 5 -T 1 -s /bin/true 2>&1']);
    expect(lease).toContain('lease of 10.81.0.11 obtained from 10.81.0.254');
    // The outside saw the gateway's address, not the guest's (SNAT); it has no route back to 10.81/16.
    expect(await pingFrom(outside, addr(p1))).toBe(false);
  });

  it('security groups still apply to routed traffic', async () => {
    const locked: HostNetworkPolicy = { ...policy([router()]) };
    locked.groups = [{ id: 'sg-default', members: [], rules: [rule({ direction: 'egress' })] }];
    await plane.applyPolicy(locked);
    expect(await ping(p1, addr(p2))).toBe(false);
    await plane.applyPolicy(policy([router()]));
    expect(await ping(p1, addr(p2))).toBe(true);
  });

  it('a floating IP reaches the guest from the outside when a rule lets it in; disassociating removes it', async () => {
    await plane.applyPolicy(policy([router({ fip: true })]));
    expect(await pingFrom(outside, '10.84.0.50')).toBe(false);
    const icmpIn = rule({ protocol: 'icmp', remoteIpPrefix: '0.0.0.0/0' });
    await plane.applyPolicy(policy([router({ fip: true })], [icmpIn]));
    expect(await pingFrom(outside, '10.84.0.50')).toBe(true);
    // Its own traffic leaves with the floating address even with SNAT off; others' traffic no longer leaves.
    await plane.applyPolicy(policy([router({ fip: true, snat: false })], [icmpIn]));
    expect(await ping(p1, '10.84.0.1')).toBe(true);
    expect(await ping(p2, '10.84.0.1')).toBe(false);
    await plane.applyPolicy(policy([router({ snat: false })], [icmpIn]));
    expect(await pingFrom(outside, '10.84.0.50')).toBe(false);
    await plane.applyPolicy(policy([router({ fip: true })], [icmpIn]));
    expect(await pingFrom(outside, '10.84.0.50')).toBe(true);
  });

  it('a host without the gateway address (another host does SNAT) still answers for its floating IPs', async () => {
    const icmpIn = rule({ protocol: 'icmp', remoteIpPrefix: '0.0.0.0/0' });
    const r = router({ fip: true });
    const gateway = r.gateway ? { ...r.gateway, ips: [], mac: 'fa:16:3e:00:00:0a', enableSnat: false } : null;
    await plane.applyPolicy(policy([{ ...r, gateway }], [icmpIn]));
    expect(await pingFrom(outside, '10.84.0.50')).toBe(true);
    expect(await ping(p1, '10.84.0.1')).toBe(true);
    expect(await ping(p2, '10.84.0.1')).toBe(false);
    await plane.applyPolicy(policy([router({ fip: true })], [icmpIn]));
    expect(await ping(p2, '10.84.0.1')).toBe(true);
  });

  it('a restarted agent re-creates a lost router namespace from the pushed state', async () => {
    // Its legs first: a deleted namespace dies asynchronously in the kernel.
    const rns = routerNamespace(hostNs(), `router${suffix}`);
    const legs = [legName(leg(1, 'net-a').portId), legName(leg(2, 'net-b').portId), gatewayName(`g${suffix}-gw`)];
    for (const name of legs) await inNs(rns, 'ip', ['link', 'del', name]);
    await sh('ip', ['netns', 'del', rns]);
    expect(await ping(p1, addr(p2))).toBe(false);
    plane = createNetworkDataPlane({
      dir: join(dir, 'network'),
      namespace: hostNs(),
      log: silentLogger,
      provider: { namespace: outside, bridge: 'brext' },
    });
    await plane.recover();
    expect(await ping(p1, addr(p2))).toBe(true);
    expect(await pingFrom(outside, '10.84.0.50')).toBe(true);
  });

  it('removing the router takes its namespace and uplink away and gives the gateway back to the bridge', async () => {
    await plane.applyPolicy(policy([]));
    expect(await routerNamespaces()).toHaveLength(0);
    expect(await ping(p1, addr(p2))).toBe(false);
    expect(await ping(p1, '10.81.0.1')).toBe(true);
    expect(await inNs(outside, 'ip', ['-o', 'link', 'show'])).not.toContain('ux');
  });

  it('a router that cannot be plumbed (no such provider bridge) holds up neither the ports nor the policy', async () => {
    const other = await mkdtemp(join(tmpdir(), 'brume-rtr2-'));
    const broken = createNetworkDataPlane({
      dir: join(other, 'network'),
      namespace: namespaceName('router-host-2', other),
      log: silentLogger,
      provider: { namespace: outside, bridge: 'nosuchbridge' },
    });
    try {
      const q = { ...port(4, 'net-a'), id: `q4${suffix}-0000-0000-0000-000000000000` };
      await broken.applyPolicy({ ...policy([router()]), ports: {} });
      await broken.plugPorts('vm4', [q]);
      expect(broken.ports().map((p) => p.portId)).toEqual([q.id]);
      await broken.applyPolicy(policy([router({ fip: true })]));
    } finally {
      await broken.destroy();
      await rm(other, { recursive: true, force: true });
    }
  });

  it('the last port takes every router namespace with the host namespace', async () => {
    await plane.applyPolicy(policy([router({ fip: true })]));
    expect(await routerNamespaces()).toHaveLength(1);
    for (const vm of ['vm1', 'vm2', 'vm3']) await plane.releaseInstance(vm);
    expect(await routerNamespaces()).toHaveLength(0);
    expect((await sh('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0])).not.toContain(hostNs());
  });
});
