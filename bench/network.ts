/**
 * Network data plane benchmarks (root only; skips with a sentence elsewhere), at the driver level (no site):
 * - plumbing without VMs: first port of a host (namespace + bridge + dnsmasq + tap + rules), a further port, and
 *   re-rendering the security policy with 50 ports plugged;
 * - two tiny VMs on one network (TCG here): spawn -> both guests' `brume-ping` probes report the other reachable,
 *   against spawn -> boot marker; then how long a security-group change takes to block and unblock their pings,
 *   as seen by the guest's 1 s probe (the floor is that period);
 * - routers without VMs (a veth "guest" in a namespace, an "outside" namespace behind the provider bridge): plumbing
 *   a router with two subnets and a gateway, installing a floating IP (policy applied, then until the outside's ping
 *   of it answers), 20 floating IPs in one policy, and removing the router.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../shared/ports/clock.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import type { InstancePort } from '../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy, RouterSpec, SecurityRuleSpec } from '../shared/schemas/network-policy.ts';
import { createQemuDriver } from '../site-agent/drivers/qemu/driver.ts';
import { createImageCache } from '../site-agent/drivers/qemu/image-cache.ts';
import { testGuest } from '../site-agent/drivers/qemu/test-guest.ts';
import { createNetworkDataPlane } from '../site-agent/network/data-plane.ts';
import { namespaceName, tapName } from '../site-agent/network/names.ts';
import { dataPlaneUnavailable, inNs, sh } from '../site-agent/network/sh.ts';
import { fmt } from './lib.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
const port = (n: number, net = 'bench-net'): InstancePort => ({
  id: `bench${String(n).padStart(3, '0')}-0000-4000-8000-000000000000`,
  networkId: net,
  mac: `fa:16:3e:00:01:${n.toString(16).padStart(2, '0')}`,
  ips: [`10.77.${Math.floor(n / 200)}.${10 + (n % 200)}/16`],
  gateway: '10.77.0.1',
  securityGroups: ['sg'],
});
const policy = (revision: number, members: string[], ingress: SecurityRuleSpec[]): HostNetworkPolicy => ({
  revision,
  ports: {},
  groups: [{ id: 'sg', members, rules: [rule({ direction: 'egress' }), ...ingress] }],
});
const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

async function plumbing(dir: string): Promise<void> {
  const plane = createNetworkDataPlane({
    dir: join(dir, 'plumbing'),
    namespace: namespaceName('bench-plumbing', dir),
    log: silentLogger,
  });
  try {
    const first = await timed(() => plane.plugPorts('vm0', [port(0)]));
    const second = await timed(() => plane.plugPorts('vm1', [port(1)]));
    for (let i = 2; i < 50; i++) await plane.plugPorts(`vm${i}`, [port(i)]);
    const members = Array.from({ length: 50 }, (_, i) => (port(i).ips[0] ?? '').split('/')[0] ?? '');
    const rules = [rule({ remoteGroupId: 'sg' }), rule({ protocol: 'tcp', portMin: 22, portMax: 22 })];
    const apply = await timed(() => plane.applyPolicy(policy(1, members, rules)));
    const unplug = await timed(() => plane.releaseInstance('vm1'));
    console.log(`  first port of a host (netns, bridge, dnsmasq, tap, rules): ${fmt(first, 0)} ms`);
    console.log(`  another port on the same network: ${fmt(second, 0)} ms`);
    console.log(`  security policy applied with 50 ports (render + nft -f): ${fmt(apply, 0)} ms`);
    console.log(`  one port unplugged: ${fmt(unplug, 0)} ms`);
  } finally {
    await plane.destroy();
  }
}

async function vms(dir: string): Promise<void> {
  const guest = await testGuest();
  if (typeof guest === 'string') {
    console.log(`  VMs skipped: ${guest}`);
    return;
  }
  const network = createNetworkDataPlane({
    dir: join(dir, 'vm-network'),
    namespace: namespaceName('bench-vms', dir),
    log: silentLogger,
  });
  const driver = createQemuDriver({
    dataDir: join(dir, 'qemu'),
    clock: systemClock,
    log: silentLogger,
    namePrefix: 'brume-bench',
    imageCache: createImageCache({ dir: join(dir, 'images'), log: silentLogger }),
    directBoot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
    network,
  });
  const [a, b] = [port(1), port(2)];
  const ip = (p: InstancePort) => (p.ips[0] ?? '').split('/')[0] ?? '';
  const count = async (vm: string, line: string) =>
    (await driver.consoleLog(vm)).split('\n').filter((l) => l.trim() === line).length;
  const until = async (what: string, check: () => Promise<boolean>) => {
    const t0 = performance.now();
    for (let i = 0; i < 1200; i++) {
      if (await check()) return performance.now() - t0;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  try {
    await network.applyPolicy(policy(1, [ip(a), ip(b)], [rule({ remoteGroupId: 'sg' })]));
    const spec = (id: string, p: InstancePort, target: InstancePort) => ({
      id,
      name: id,
      hostname: id,
      projectId: 'bench',
      vcpus: 1,
      memoryMiB: 96,
      diskGiB: 1,
      image: null,
      ports: [p],
      userData: Buffer.from(`brume-ping ${ip(target)}\n`).toString('base64'),
    });
    const t0 = performance.now();
    await Promise.all([driver.spawn(spec('bench-a', a, b)), driver.spawn(spec('bench-b', b, a))]);
    const booted = await until('boot', async () => (await count('bench-b', 'BRUME-GUEST-BOOTED bench-b')) > 0);
    await until('pings', async () => {
      const [x, y] = await Promise.all([
        count('bench-a', `BRUME-PING ${ip(b)} ok`),
        count('bench-b', `BRUME-PING ${ip(a)} ok`),
      ]);
      return x > 0 && y > 0;
    });
    const pinged = performance.now() - t0;
    console.log(
      `  2 VMs (TCG): spawn -> boot marker ${fmt(booted / 1000)} s; spawn -> both ping each other ${fmt(pinged / 1000)} s`,
    );
    const fails = await count('bench-a', `BRUME-PING ${ip(b)} fail`);
    await network.applyPolicy(policy(2, [ip(a), ip(b)], []));
    const block = await until('block', async () => (await count('bench-a', `BRUME-PING ${ip(b)} fail`)) > fails);
    const oks = await count('bench-a', `BRUME-PING ${ip(b)} ok`);
    await network.applyPolicy(policy(3, [ip(a), ip(b)], [rule({ protocol: 'icmp' })]));
    const unblock = await until('unblock', async () => (await count('bench-a', `BRUME-PING ${ip(b)} ok`)) > oks);
    console.log(
      `  security group change seen by the guest's 1 s probe: block ${fmt(block / 1000)} s, unblock ${fmt(unblock / 1000)} s`,
    );
  } finally {
    for (const vm of await driver.list()) await driver.destroy(vm.id);
    await network.destroy();
  }
}

async function routers(dir: string): Promise<void> {
  const ns = namespaceName('bench-routers', dir);
  const outside = `brbo${process.pid % 100000}`;
  const guest = `brbg${process.pid % 100000}`;
  const plane = createNetworkDataPlane({
    dir: join(dir, 'routers'),
    namespace: ns,
    log: silentLogger,
    provider: { namespace: outside, bridge: 'brext' },
  });
  const g = { ...port(1, 'bench-a'), ips: ['10.78.0.11/24'], gateway: '10.78.0.1' };
  const h = { ...port(2, 'bench-b'), ips: ['10.79.0.12/24'], gateway: '10.79.0.1' };
  const leg = (n: number, networkId: string) => ({
    portId: `benchleg${n}-0000`,
    networkId,
    mac: `fa:16:3e:00:02:0${n}`,
    ips: [`10.7${7 + n}.0.1/24`],
  });
  const router = (fips: number): RouterSpec => ({
    id: 'bench-router',
    interfaces: [leg(1, 'bench-a'), leg(2, 'bench-b')],
    gateway: {
      portId: 'benchgw-0000',
      networkId: 'bench-ext',
      mac: 'fa:16:3e:00:02:09',
      ips: ['10.76.0.10/24'],
      nextHop: '10.76.0.1',
      enableSnat: true,
    },
    floatingIps: Array.from({ length: fips }, (_, i) => ({
      id: `fip${i}`,
      floatingIp: `10.76.0.${50 + i}`,
      fixedIp: i === 0 ? '10.78.0.11' : `10.78.0.${100 + i}`,
    })),
    routes: [],
  });
  let revision = 0;
  const withRouters = (rs: RouterSpec[]): HostNetworkPolicy => ({
    ...policy(++revision, ['10.78.0.11', '10.79.0.12'], [rule({ protocol: 'icmp' })]),
    routers: rs,
  });
  const reachable = () =>
    inNs(outside, 'busybox', ['ping', '-c', '1', '-W', '1', '10.76.0.50']).then(
      () => true,
      () => false,
    );
  try {
    await sh('ip', ['netns', 'add', outside]);
    await inNs(outside, 'ip', ['link', 'add', 'brext', 'type', 'bridge']);
    await inNs(outside, 'ip', ['addr', 'add', '10.76.0.1/24', 'dev', 'brext']);
    await inNs(outside, 'ip', ['link', 'set', 'brext', 'up']);
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['netns', 'add', guest]);
    await sh('ip', ['link', 'add', tapName(g.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guest]);
    await sh('ip', ['link', 'set', tapName(g.id), 'netns', ns]);
    await inNs(guest, 'ip', ['link', 'set', 'eth0', 'address', g.mac]);
    await inNs(guest, 'ip', ['addr', 'add', '10.78.0.11/24', 'dev', 'eth0']);
    await inNs(guest, 'ip', ['link', 'set', 'eth0', 'up']);
    await inNs(guest, 'ip', ['route', 'add', 'default', 'via', '10.78.0.1']);
    await plane.plugPorts('vm-g', [g]);
    await plane.plugPorts('vm-h', [h]);
    await plane.applyPolicy(withRouters([]));
    const plumb = await timed(() => plane.applyPolicy(withRouters([router(0)])));
    const t0 = performance.now();
    const install = await timed(() => plane.applyPolicy(withRouters([router(1)])));
    let tries = 0;
    while (!(await reachable())) if (++tries > 50) throw new Error('the floating IP never answered');
    const answered = performance.now() - t0;
    const many = await timed(() => plane.applyPolicy(withRouters([router(20)])));
    const removed = await timed(() => plane.applyPolicy(withRouters([])));
    console.log(`  router with 2 subnets + gateway plumbed (namespace, 3 veths, uplink, NAT): ${fmt(plumb, 0)} ms`);
    console.log(
      `  floating IP installed: policy applied ${fmt(install, 0)} ms, outside's ping answered after ${fmt(answered, 0)} ms`,
    );
    console.log(`  20 floating IPs in one policy: ${fmt(many, 0)} ms; router removed: ${fmt(removed, 0)} ms`);
  } finally {
    await plane.destroy();
    for (const n of [guest, outside]) await sh('ip', ['netns', 'del', n]).catch(() => undefined);
  }
}

/** The `network` group of `npm run bench`. */
export async function benchNetwork(): Promise<void> {
  const why = await dataPlaneUnavailable();
  if (why) {
    console.log(`  skipped: ${why}`);
    return;
  }
  const dir = mkdtempSync('/tmp/brume-bench-net-');
  try {
    await plumbing(dir);
    await routers(dir);
    await vms(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
