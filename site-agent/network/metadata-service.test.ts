/**
 * The metadata service for real, without VMs (root only; skipped with a message elsewhere): "guests" are client
 * namespaces whose veth end, named like the port's tap, sits in the agent's namespace. Two networks with the SAME
 * CIDR and a guest with the SAME address on each: each guest asks 169.254.169.254 and gets its own meta_data.json,
 * through the in-namespace proxy, the agent's relay and the site's signed /metadata API (the real routes, served on
 * loopback). DHCP hands out the 169.254.169.254 route (option 121); a guest cannot name another network's metadata
 * address directly, nor pass for another instance with headers of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataRoutes } from '../../edge-site/metadata/routes.ts';
import { mountForTest, testDeps } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { InstancePort, InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy } from '../../shared/schemas/network-policy.ts';
import { freePort } from '../../shared/testing/mosquitto.ts';
import { createNetworkDataPlane, type NetworkDataPlane } from './data-plane.ts';
import { namespaceName, tapName } from './names.ts';
import { dataPlaneUnavailable, inNs, sh } from './sh.ts';

const why = await dataPlaneUnavailable();
if (why) process.stderr.write(`[metadata service] namespace test skipped: ${why}\n`);

const SECRET = 'ns-test-metadata-secret-0123456789';

describe.skipIf(why !== null)('metadata service in namespaces (root)', () => {
  let dir = '';
  let plane: NetworkDataPlane;
  let site: ServerType | undefined;
  let siteUrl = '';
  const suffix = `${process.pid % 100000}`;
  const clients: string[] = [];
  const port = (n: number, networkId: string): InstancePort => ({
    id: `m${n}${suffix}-0000-0000-0000-000000000000`,
    networkId,
    mac: `52:54:00:bb:00:0${n}`,
    ips: ['10.88.0.5/24'],
    gateway: '10.88.0.1',
    mtu: 1400,
    securityGroups: ['sg'],
  });
  const pa = port(1, 'net-md-a');
  const pb = port(2, 'net-md-b');
  // A second subnet of network a, with the site's DNS server and host route: DHCP serves it too.
  const pc: InstancePort = {
    ...port(3, 'net-md-a'),
    ips: ['10.89.0.7/24'],
    gateway: '10.89.0.1',
    subnets: [
      {
        cidr: '10.89.0.0/24',
        gateway: '10.89.0.1',
        dnsNameservers: ['10.89.0.53'],
        hostRoutes: [{ destination: '192.168.50.0/24', nexthop: '10.89.0.1' }],
      },
    ],
  };
  const all = [pa, pb, pc];
  const addr = (p: InstancePort) => (p.ips[0] ?? '').split('/')[0] ?? '';
  /** The bridge's address a guest reaches the metadata service through (option 121). */
  const via = (p: InstancePort) => (p === pc ? '10.89.0.254' : '10.88.0.1');
  const lease = (p: InstancePort) =>
    p === pc
      ? 'LEASE 10.89.0.7 MTU 1400 ROUTER 10.89.0.1 DNS 10.89.0.53 ROUTES 169.254.169.254/32 10.89.0.254 0.0.0.0/0 10.89.0.1 192.168.50.0/24 10.89.0.1'
      : 'LEASE 10.88.0.5 MTU 1400 ROUTER 10.88.0.1 DNS  ROUTES 169.254.169.254/32 10.88.0.1 0.0.0.0/0 10.88.0.1';
  const instance = (p: InstancePort) => `inst-${p.id.slice(0, 2)}`;
  const client = (p: InstancePort) => `bm${suffix}-${p.id.slice(0, 2)}`;
  const spec = (p: InstancePort): InstanceSpec => ({
    id: instance(p),
    name: instance(p),
    hostname: instance(p),
    projectId: 'p1',
    vcpus: 1,
    memoryMiB: 64,
    diskGiB: 1,
    image: null,
    ports: [p],
  });
  const curl = (p: InstancePort, url: string, ...args: string[]) =>
    inNs(client(p), 'curl', ['-sS', '-m', '10', ...args, url]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brume-md-'));
    const specs = new Map(all.map((p) => [instance(p), spec(p)]));
    const app = mountForTest(
      await testDeps(),
      '/metadata',
      metadataRoutes({ secret: async () => SECRET, instanceSpec: async (id) => specs.get(id) }),
    );
    const listenPort = await freePort();
    site = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: listenPort });
    siteUrl = `http://127.0.0.1:${listenPort}`;
    const ns = namespaceName('md-test-host', dir);
    plane = createNetworkDataPlane({ dir: join(dir, 'network'), namespace: ns, log: silentLogger });
    await sh('ip', ['netns', 'add', ns]);
    for (const p of all) {
      const c = client(p);
      clients.push(c);
      await sh('ip', ['netns', 'add', c]);
      await sh('ip', ['link', 'add', tapName(p.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
      await sh('ip', ['link', 'set', tapName(p.id), 'netns', ns]);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'address', p.mac]);
      await inNs(c, 'ip', ['link', 'set', 'lo', 'up']);
      await inNs(c, 'ip', ['link', 'set', 'eth0', 'up']);
    }
  });

  afterAll(async () => {
    await plane?.destroy().catch(() => undefined);
    for (const c of clients) await sh('ip', ['netns', 'del', c]).catch(() => undefined);
    site?.close();
    // No proxy outlives the test.
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(join(dir, 'network'));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers each guest with its own instance, across overlapping CIDRs, and only through 169.254.169.254', async () => {
    await plane.plugPorts(instance(pa), [pa]);
    await plane.plugPorts(instance(pb), [pb]);
    await plane.plugPorts(instance(pc), [pc]);
    const policy: HostNetworkPolicy = {
      revision: 1,
      ports: Object.fromEntries(all.map((p) => [p.id, { securityGroups: ['sg'], portSecurity: true }])),
      groups: [
        {
          id: 'sg',
          members: [],
          rules: [
            {
              direction: 'egress',
              ethertype: 'IPv4',
              protocol: null,
              portMin: null,
              portMax: null,
              remoteIpPrefix: null,
              remoteGroupId: null,
            },
          ],
        },
      ],
      metadata: { url: siteUrl, secret: SECRET },
    };
    await plane.applyPolicy(policy);

    // DHCP: the fixed address, the MTU and the route to 169.254.169.254 via the bridge (option 121).
    const script = join(dir, 'lease.sh');
    execFileSync('sh', [
      '-c',
      `printf '#!/bin/sh\\necho "LEASE $ip MTU $mtu ROUTER $router DNS $dns ROUTES $staticroutes"\\n' > ${script}`,
    ]);
    execFileSync('chmod', ['+x', script]);
    for (const p of all) {
      const out = await inNs(client(p), 'busybox', [
        'udhcpc',
        '-i',
        'eth0',
        '-n',
        '-q',
        '-t',
        '5',
        '-T',
        '1',
        '-O',
        'staticroutes',
        '-O',
        'mtu',
        '-s',
        script,
      ]);
      expect(out).toContain(lease(p));
      await inNs(client(p), 'ip', ['addr', 'add', p.ips[0] ?? '', 'dev', 'eth0']);
      await inNs(client(p), 'ip', ['route', 'add', '169.254.169.254/32', 'via', via(p)]);
      // Only for the probe below: another network's metadata address, tried directly.
      await inNs(client(p), 'ip', ['route', 'add', '169.254.170.0/23', 'via', via(p)]);
    }

    for (const p of all) {
      // The proxy starts in the background of the first plug: retried until it listens.
      const first = await curl(
        p,
        'http://169.254.169.254/openstack/latest/meta_data.json',
        '--retry',
        '30',
        '--retry-connrefused',
        '--retry-delay',
        '1',
      );
      const md = JSON.parse(first) as {
        uuid: string;
      };
      expect(md.uuid).toBe(instance(p));
      const nd = JSON.parse(await curl(p, 'http://169.254.169.254/openstack/latest/network_data.json')) as {
        links: Array<{ mtu: number; vif_id: string }>;
      };
      expect(nd.links[0]).toMatchObject({ mtu: 1400, vif_id: p.id });
      expect(await curl(p, 'http://169.254.169.254/latest/meta-data/local-ipv4')).toBe(addr(p));
    }
    // Headers a guest sends do not change who it is.
    const forged = await curl(
      pa,
      'http://169.254.169.254/openstack/latest/meta_data.json',
      '-H',
      `X-Instance-ID: ${instance(pb)}`,
      '-H',
      'X-Forwarded-For: 10.99.0.1',
      '-H',
      'x-brume-local-address: 169.254.170.2',
    );
    expect(JSON.parse(forged).uuid).toBe(instance(pa));
    // Network b's own address, named directly from network a, is dropped (it would name b's 10.88.0.5).
    const direct = await curl(pa, 'http://169.254.170.2/openstack/latest/meta_data.json', '-m', '2').then(
      (out) => out,
      () => 'refused',
    );
    expect(direct).toBe('refused');

    // The last port of network b goes: its address, rule and table go too; network a keeps being served.
    await plane.unplugPort(pb.id);
    const ns = plane.namespace;
    expect(await inNs(ns, 'ip', ['rule', 'show'])).not.toContain('169.254.170.2');
    expect(JSON.parse(await curl(pa, 'http://169.254.169.254/openstack/latest/meta_data.json')).uuid).toBe(
      instance(pa),
    );
  }, 90_000);
});
