/**
 * Metadata service benchmarks (root only; skips with a sentence elsewhere), without VMs: a veth "guest" in a client
 * namespace on one network of a data plane, the site's real /metadata routes on loopback.
 * - the first port of a host with the metadata service (DNAT, routing, relay, proxy start) and the time until the
 *   proxy answers the guest;
 * - a guest's GET of meta_data.json through DNAT -> proxy -> relay -> site (curl's own time_total, sequential),
 *   against the same GET signed straight at the site (the floor): the difference is the proxy + relay;
 * - the proxy's RSS (one per agent host).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { metadataRoutes } from '../edge-site/metadata/routes.ts';
import { mountForTest, testDeps } from '../edge-site/testing/deps.ts';
import { signInstanceId } from '../shared/metadata-signature.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import type { InstancePort, InstanceSpec } from '../shared/schemas/agent-protocol.ts';
import { freePort } from '../shared/testing/mosquitto.ts';
import { createNetworkDataPlane } from '../site-agent/network/data-plane.ts';
import { namespaceName, tapName } from '../site-agent/network/names.ts';
import { dataPlaneUnavailable, inNs, sh } from '../site-agent/network/sh.ts';
import { fmt, percentile, rssMiB } from './lib.ts';

const SECRET = 'bench-metadata-secret-0123456789';
const REQUESTS = 200;

const execFileAsync = promisify(execFile);

/** curl's time_total (ms) of `n` sequential GETs, run in `ns` (or here when null). Async: the site and the relay
 * answer from this very process. */
async function curlTimes(ns: string | null, url: string, n: number, headers: string[] = []): Promise<number[]> {
  const h = headers.map((x) => `-H '${x}'`).join(' ');
  const loop = `for i in $(seq ${n}); do curl -s -o /dev/null -w '%{time_total}\\n' ${h} ${url}; done`;
  const cmd = ns ? ['ip', 'netns', 'exec', ns, 'sh', '-c', loop] : ['sh', '-c', loop];
  const { stdout } = await execFileAsync(cmd[0] ?? 'sh', cmd.slice(1), { encoding: 'utf8' });
  return stdout
    .trim()
    .split('\n')
    .map((s) => Number(s) * 1000);
}

/** Runs the group. */
export async function benchMetadata(): Promise<void> {
  const why = await dataPlaneUnavailable();
  if (why) {
    console.log(`  skipped: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-md-'));
  const port: InstancePort = {
    id: `bmd${process.pid % 100000}-0000-4000-8000-000000000000`,
    networkId: 'bench-md-net',
    mac: 'fa:16:3e:00:02:01',
    ips: ['10.66.0.5/24'],
    gateway: '10.66.0.1',
    securityGroups: ['sg'],
  };
  const spec: InstanceSpec = {
    id: 'bench-md-vm',
    name: 'bench-md-vm',
    hostname: 'bench-md-vm',
    projectId: 'p',
    vcpus: 1,
    memoryMiB: 64,
    diskGiB: 1,
    image: null,
    ports: [port],
    userData: Buffer.from('#cloud-config\n').toString('base64'),
    publicKeys: { k: 'ssh-ed25519 AAAA bench' },
  };
  const app = mountForTest(
    await testDeps(),
    '/metadata',
    metadataRoutes({ secret: async () => SECRET, instanceSpec: async (id) => (id === spec.id ? spec : undefined) }),
  );
  const listenPort = await freePort();
  const site = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: listenPort });
  const siteUrl = `http://127.0.0.1:${listenPort}`;
  const ns = namespaceName('bench-metadata', dir);
  const guest = `bbmd${process.pid % 100000}`;
  const plane = createNetworkDataPlane({ dir: join(dir, 'network'), namespace: ns, log: silentLogger });
  try {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['netns', 'add', guest]);
    await sh('ip', ['link', 'add', tapName(port.id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guest]);
    await sh('ip', ['link', 'set', tapName(port.id), 'netns', ns]);
    await inNs(guest, 'ip', ['link', 'set', 'eth0', 'address', port.mac]);
    await inNs(guest, 'ip', ['link', 'set', 'eth0', 'up']);
    await inNs(guest, 'ip', ['addr', 'add', '10.66.0.5/24', 'dev', 'eth0']);
    await inNs(guest, 'ip', ['route', 'add', 'default', 'via', '10.66.0.1']);
    const t0 = performance.now();
    await plane.plugPorts(spec.id, [port]);
    await plane.applyPolicy({
      revision: 1,
      ports: { [port.id]: { securityGroups: ['sg'], portSecurity: true } },
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
    });
    const plugged = performance.now() - t0;
    const url = 'http://169.254.169.254/openstack/latest/meta_data.json';
    await inNs(guest, 'curl', [
      '-sf',
      '-o',
      '/dev/null',
      '--retry',
      '50',
      '--retry-connrefused',
      '--retry-delay',
      '0',
      url,
    ]);
    const answering = performance.now() - t0;
    const viaGuest = await curlTimes(guest, url, REQUESTS);
    const direct = await curlTimes(null, `${siteUrl}/metadata/openstack/latest/meta_data.json`, REQUESTS, [
      `X-Instance-ID: ${spec.id}`,
      `X-Instance-ID-Signature: ${signInstanceId(SECRET, spec.id)}`,
    ]);
    const pid = Number(readFileSync(join(dir, 'network', 'metadata-proxy.pid'), 'utf8').trim());
    console.log(`  first port with the metadata service (DNAT, routes, relay, proxy spawned): ${fmt(plugged, 0)} ms`);
    console.log(`  plug -> the guest's first metadata answer (proxy start included): ${fmt(answering, 0)} ms`);
    console.log(
      `  guest GET meta_data.json via 169.254.169.254: p50 ${fmt(percentile(viaGuest, 50))} ms, p99 ${fmt(percentile(viaGuest, 99))} ms (${REQUESTS} sequential)`,
    );
    console.log(
      `  the same GET signed straight at the site (floor): p50 ${fmt(percentile(direct, 50))} ms, p99 ${fmt(percentile(direct, 99))} ms`,
    );
    console.log(`  proxy RSS (one per agent host): ${fmt(rssMiB(pid))} MiB`);
  } finally {
    await plane.destroy().catch(() => undefined);
    await sh('ip', ['netns', 'del', guest]).catch(() => undefined);
    site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
