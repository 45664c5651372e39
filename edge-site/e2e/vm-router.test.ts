/**
 * Routers and floating IPs with real VMs, through the real `openstack` CLI against `brume up --driver qemu` (root
 * only). "The outside world" is a namespace this test creates, with a bridge at 10.90.0.1 that the agent plugs the
 * external network into (BRUME_AGENT_PROVIDER_BRIDGE). A router joins two networks and has its gateway on the
 * external one: the two servers ping each other across it and reach the outside through SNAT (the guests' probes
 * print BRUME-PING lines on the serial console); a floating IP makes one reachable from the outside, and removing it
 * makes it unreachable again. Two VMs at most.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataPlanes } from '../../site-agent/network/for-agent.ts';
import { dataPlaneUnavailable } from '../../site-agent/network/sh.ts';
import { parseExports, type Running, realVmMissing, run, startBrume, until } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';

const skipReason = realVmMissing() ?? (await dataPlaneUnavailable()) ?? undefined;
if (skipReason) process.stderr.write(`${skipReason}: skipping the VM router e2e\n`);

const HOST = 'site1-host1';
const OUTSIDE = `brout${process.pid % 100000}`;

describe.skipIf(skipReason !== undefined)('routers and floating IPs (openstack CLI, brume up --driver qemu)', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  let agentDir: string;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const osJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> =>
    JSON.parse(await os(...args, '-f', 'json')) as T;
  const ids = new Map<string, string>();
  /** How many times the guest's probe of `ip` reported `what` (read from the serial log file, as vm-network does). */
  const pings = async (server: string, ip: string, what: 'ok' | 'fail') => {
    const file = join(agentDir, 'qemu', 'instances', ids.get(server) ?? 'none', 'console.log');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return text.split('\n').filter((l) => l.trim() === `BRUME-PING ${ip} ${what}`).length;
  };
  /** The guest probe's latest verdict on `ip` (it prints only changes). */
  const lastProbe = async (server: string, ip: string) => {
    const file = join(agentDir, 'qemu', 'instances', ids.get(server) ?? 'none', 'console.log');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    return lines
      .filter((l) => l.startsWith(`BRUME-PING ${ip} `))
      .at(-1)
      ?.split(' ')[2];
  };
  const fromOutside = (ip: string) => {
    try {
      execFileSync('ip', ['netns', 'exec', OUTSIDE, 'busybox', 'ping', '-c', '1', '-W', '1', ip], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const sh = (...args: string[]) => execFileSync(args[0] ?? 'true', args.slice(1), { stdio: 'ignore' });
  const boot = async (name: string, port: string, probes: string[]) => {
    const data = join(dir, `${name}.txt`);
    writeFileSync(data, `${probes.map((ip) => `brume-ping ${ip}`).join('\n')}\n`);
    const server = await osJson(
      'server',
      'create',
      '--image',
      'brume-tiny',
      '--flavor',
      'vm.tiny',
      '--port',
      port,
      '--user-data',
      data,
      '--wait',
      name,
    );
    ids.set(name, String(server.id));
  };

  beforeAll(async () => {
    // "The outside": a bridge at 10.90.0.1/24 in a namespace of this test.
    sh('ip', 'netns', 'add', OUTSIDE);
    sh('ip', 'netns', 'exec', OUTSIDE, 'ip', 'link', 'set', 'lo', 'up');
    sh('ip', 'netns', 'exec', OUTSIDE, 'ip', 'link', 'add', 'brext', 'type', 'bridge');
    sh('ip', 'netns', 'exec', OUTSIDE, 'ip', 'addr', 'add', '10.90.0.1/24', 'dev', 'brext');
    sh('ip', 'netns', 'exec', OUTSIDE, 'ip', 'link', 'set', 'brext', 'up');
    // Short: QMP sockets live under the agent's folder and unix socket paths are limited to 108 bytes.
    dir = mkdtempSync('/tmp/brr-');
    agentDir = join(dir, 'site1', 'agents', HOST);
    site = startBrume(
      ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'qemu', '--agents', '1'],
      { BRUME_ADMIN_PASSWORD: 'e2e-secret', BRUME_AGENT_PROVIDER_BRIDGE: `${OUTSIDE}:brext` },
    );
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    const base = env.OS_AUTH_URL?.replace(/\/v3$/, '');
    await until('the agent', async () => {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      return h.agents.up >= 1;
    });
    await os('flavor', 'create', '--ram', '128', '--vcpus', '1', '--disk', '1', 'vm.tiny');
    await os('network', 'create', '--external', 'public');
    await os(
      'subnet',
      'create',
      '--network',
      'public',
      '--subnet-range',
      '10.90.0.0/24',
      '--gateway',
      '10.90.0.1',
      '--allocation-pool',
      'start=10.90.0.10,end=10.90.0.99',
      '--no-dhcp',
      'public-v4',
    );
    for (const [net, cidr] of [
      ['blue', '10.70.0.0/24'],
      ['green', '10.71.0.0/24'],
    ] as const) {
      await os('network', 'create', net);
      await os('subnet', 'create', '--network', net, '--subnet-range', cidr, `${net}-v4`);
    }
    await os('port', 'create', '--network', 'blue', '--fixed-ip', 'subnet=blue-v4,ip-address=10.70.0.11', 'pa');
    await os('port', 'create', '--network', 'green', '--fixed-ip', 'subnet=green-v4,ip-address=10.71.0.12', 'pb');
    // The outside may ping the servers (Neutron's default group lets in only its own members).
    await os('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'icmp', 'default');
  }, 300_000);

  afterAll(async () => {
    const status = await site?.stop();
    const instances = join(agentDir, 'qemu', 'instances');
    if (existsSync(instances)) {
      for (const id of readdirSync(instances)) {
        try {
          process.kill(Number(readFileSync(join(instances, id, 'qemu.pid'), 'utf8').trim()), 'SIGKILL');
        } catch {}
      }
    }
    if (dir) await removeDataPlanes(dir);
    if (dir) rmSync(dir, { recursive: true, force: true });
    try {
      sh('ip', 'netns', 'del', OUTSIDE);
    } catch {}
    expect(status).toBe(0);
  }, 60_000);

  it('a router joins two networks and SNATs them out; a floating IP reaches a server from outside until removed', async () => {
    await os('router', 'create', 'r1');
    await os('router', 'add', 'subnet', 'r1', 'blue-v4');
    await os('router', 'add', 'subnet', 'r1', 'green-v4');
    await os('router', 'set', '--external-gateway', 'public', 'r1');
    await Promise.all([boot('vma', 'pa', ['10.71.0.12', '10.90.0.1']), boot('vmb', 'pb', ['10.70.0.11'])]);
    await until('vma reaching vmb across the router', async () => (await pings('vma', '10.71.0.12', 'ok')) >= 1);
    await until('vmb reaching vma across the router', async () => (await pings('vmb', '10.70.0.11', 'ok')) >= 1);
    await until('vma reaching the outside (SNAT)', async () => (await pings('vma', '10.90.0.1', 'ok')) >= 1);
    // The servers' own addresses are not routable from the outside.
    expect(fromOutside('10.70.0.11')).toBe(false);

    const fip = await osJson<{ floating_ip_address: string; id: string }>('floating', 'ip', 'create', 'public');
    await os('server', 'add', 'floating', 'ip', 'vma', fip.floating_ip_address);
    await until('the floating IP answering from outside', async () => fromOutside(fip.floating_ip_address), 60);
    expect((await osJson<{ status: string }>('floating', 'ip', 'show', fip.id)).status).toBe('ACTIVE');

    await os('server', 'remove', 'floating', 'ip', 'vma', fip.floating_ip_address);
    await until('the floating IP gone', async () => !fromOutside(fip.floating_ip_address), 60);
    expect((await osJson<{ status: string }>('floating', 'ip', 'show', fip.id)).status).toBe('DOWN');
    // East-west still works without it: the probe's last word on vma is still "ok".
    expect(await lastProbe('vmb', '10.70.0.11')).toBe('ok');
  }, 400_000);
});
