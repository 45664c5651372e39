/**
 * The namespace plumbing for real, without VMs: each "VM" is a client namespace whose veth end, named like the
 * port's tap, sits in the agent's namespace (the data plane adopts an existing device of that name as it would a
 * tap QEMU opened). Root only; skipped with a message elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { InstancePort } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy, SecurityRuleSpec } from '../../shared/schemas/network-policy.ts';
import { createNetworkDataPlane, type NetworkDataPlane } from './data-plane.ts';
import { removeDataPlanes } from './for-agent.ts';
import { namespaceName, tapName } from './names.ts';
import { dataPlaneUnavailable, inNs, sh } from './sh.ts';

const why = await dataPlaneUnavailable();
if (why) process.stderr.write(`[network data plane] integration test skipped: ${why}\n`);

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
const egressAll = rule({ direction: 'egress' });

describe.skipIf(why !== null)('network data plane in namespaces (root)', () => {
  let dir = '';
  let plane: NetworkDataPlane;
  const suffix = `${process.pid % 100000}`;
  const clients: string[] = [];
  const port = (n: number, networkId: string): InstancePort => ({
    id: `p${n}${suffix}-0000-0000-0000-000000000000`,
    networkId,
    mac: `52:54:00:aa:00:0${n}`,
    ips: [`10.77.0.1${n}/24`],
    gateway: '10.77.0.1',
    securityGroups: ['sg-default'],
  });
  const p1 = port(1, 'net-a');
  const p2 = port(2, 'net-a');
  const p3 = port(3, 'net-b');
  const client = (p: InstancePort) => `bt${suffix}-${p.id.slice(0, 2)}`;
  const ping = (from: InstancePort, to: InstancePort) =>
    inNs(client(from), 'busybox', ['ping', '-c', '1', '-W', '1', (to.ips[0] ?? '').split('/')[0] ?? '']).then(
      () => true,
      () => false,
    );
  const policy = (revision: number, p2Groups: string[], locked: SecurityRuleSpec[]): HostNetworkPolicy => ({
    revision,
    ports: { [p2.id]: { securityGroups: p2Groups, portSecurity: true } },
    groups: [
      {
        id: 'sg-default',
        members: ['10.77.0.11', '10.77.0.13', ...(p2Groups.includes('sg-default') ? ['10.77.0.12'] : [])],
        rules: [egressAll, rule({ remoteGroupId: 'sg-default' })],
      },
      { id: 'sg-locked', members: ['10.77.0.12'], rules: [egressAll, ...locked] },
    ],
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brume-net-'));
    const ns = namespaceName('test-host', dir);
    plane = createNetworkDataPlane({ dir: join(dir, 'network'), namespace: ns, log: silentLogger });
    await sh('ip', ['netns', 'add', ns]);
    for (const p of [p1, p2, p3]) {
      const c = client(p);
      clients.push(c);
      await sh('ip', ['netns', 'add', c]);
      await sh('ip', ['link', 'add', tapName(p.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
      await sh('ip', ['link', 'set', tapName(p.id), 'netns', ns]);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'address', p.mac]);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'up']);
    }
  });

  afterAll(async () => {
    await plane?.destroy().catch(() => undefined);
    for (const c of clients) await sh('ip', ['netns', 'del', c]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plugs ports, serves their fixed addresses by DHCP and isolates networks', async () => {
    await plane.plugPorts('vm1', [p1]);
    await plane.plugPorts('vm2', [p2]);
    await plane.plugPorts('vm3', [p3]);
    await plane.applyPolicy(policy(1, ['sg-default'], []));
    for (const p of [p1, p2, p3]) {
      const out = await inNs(client(p), 'sh', ['-c', 'busybox udhcpc -i eth0 -n -q -t 5 -T 1 -s /bin/true 2>&1']);
      expect(out).toContain(`lease of ${(p.ips[0] ?? '').split('/')[0]} obtained`);
      await inNs(client(p), 'ip', ['addr', 'add', p.ips[0] ?? '', 'dev', 'eth0']);
    }
    expect(await ping(p1, p2)).toBe(true);
    expect(await ping(p2, p1)).toBe(true);
    // Same subnet, other network: another bridge, nothing routes between them.
    expect(await ping(p1, p3)).toBe(false);
  });

  it('a policy change blocks and unblocks ICMP without touching the ports', async () => {
    await plane.applyPolicy(policy(2, ['sg-locked'], []));
    expect(await ping(p1, p2)).toBe(false);
    await plane.applyPolicy(policy(3, ['sg-locked'], [rule({ protocol: 'icmp', remoteIpPrefix: '10.77.0.0/24' })]));
    expect(await ping(p1, p2)).toBe(true);
    // An older revision arriving late changes nothing.
    await plane.applyPolicy(policy(2, ['sg-locked'], []));
    expect(await ping(p1, p2)).toBe(true);
  });

  it('drops a spoofed source address', async () => {
    await inNs(client(p1), 'ip', ['addr', 'flush', 'dev', 'eth0']);
    await inNs(client(p1), 'ip', ['addr', 'add', '10.77.0.99/24', 'dev', 'eth0']);
    expect(await ping(p1, p2)).toBe(false);
    await inNs(client(p1), 'ip', ['addr', 'flush', 'dev', 'eth0']);
    await inNs(client(p1), 'ip', ['addr', 'add', p1.ips[0] ?? '', 'dev', 'eth0']);
    expect(await ping(p1, p2)).toBe(true);
  });

  it('survives a restart of the agent (recover re-adopts) and cleans up port by port', async () => {
    const again = createNetworkDataPlane({
      dir: join(dir, 'network'),
      namespace: namespaceName('test-host', dir),
      log: silentLogger,
    });
    await again.recover();
    expect(
      again
        .ports()
        .map((p) => p.portId)
        .sort(),
    ).toEqual([p1.id, p2.id, p3.id].sort());
    expect(await ping(p1, p2)).toBe(true);
    plane = again;
    await plane.releaseInstance('vm2');
    const ns = namespaceName('test-host', dir);
    const links = await inNs(ns, 'ip', ['-o', 'link', 'show']);
    expect(links).not.toContain(tapName(p2.id));
    expect(links).toContain('brqnet-a');
    await plane.releaseInstance('vm1');
    expect(await inNs(ns, 'ip', ['-o', 'link', 'show'])).not.toContain('brqnet-a');
    await plane.releaseInstance('vm3');
    expect((await sh('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0])).not.toContain(ns);
  });

  it('removeDataPlanes tears down whatever a failed run left behind', async () => {
    await plane.plugPorts('vm1', [p1]);
    const ns = namespaceName('test-host', dir);
    expect(await sh('ip', ['netns', 'list'])).toContain(ns);
    await removeDataPlanes(dir);
    expect(await sh('ip', ['netns', 'list'])).not.toContain(ns);
    expect(await sh('pgrep', ['-f', join(dir, 'network')]).catch(() => '')).toBe('');
  });
});
