/**
 * The network data plane with real VMs, through the real `openstack` CLI against `brume up --driver qemu` (root
 * only: namespaces, bridges, taps, dnsmasq, nftables). Two servers on one network ping each other (the tiny guest's
 * `brume-ping` probes print BRUME-PING lines on the serial console; one guest takes its address by DHCP from the
 * host's dnsmasq), a security-group change blocks and unblocks them without a reboot, a server on another network
 * cannot reach them, and deleting the servers removes every tap, the bridges, dnsmasq and the namespace. Both
 * guests read their own meta_data.json from 169.254.169.254 (the metadata service).
 * At most two VMs run at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataPlanes } from '../../site-agent/network/for-agent.ts';
import { tapName } from '../../site-agent/network/names.ts';
import { dataPlaneUnavailable } from '../../site-agent/network/sh.ts';
import { parseExports, type Running, realVmMissing, run, startBrume, until } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';

const skipReason = realVmMissing() ?? (await dataPlaneUnavailable()) ?? undefined;
if (skipReason) process.stderr.write(`${skipReason}: skipping the VM network e2e\n`);

const HOST = 'site1-host1';

describe.skipIf(skipReason !== undefined)('VM network data plane (openstack CLI, brume up --driver qemu)', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  let agentDir: string;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const osJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> =>
    JSON.parse(await os(...args, '-f', 'json')) as T;
  const waitFor = until;
  const consoleLog = (server: string) => os('console', 'log', 'show', server);
  const ids = new Map<string, string>();
  /**
   * How many times the guest's probe of `ip` reported `what`. Polled from the serial log file in the agent's folder
   * (what `console log show` returns, checked once below): a CLI run per poll would starve the TCG guests.
   */
  const pings = async (server: string, ip: string, what: 'ok' | 'fail') => {
    const file = join(agentDir, 'qemu', 'instances', ids.get(server) ?? 'none', 'console.log');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return text.split('\n').filter((l) => l.trim() === `BRUME-PING ${ip} ${what}`).length;
  };
  const serial = async (server: string) => {
    const file = join(agentDir, 'qemu', 'instances', ids.get(server) ?? 'none', 'console.log');
    return existsSync(file) ? readFileSync(file, 'utf8').replace(/\r/g, '') : '';
  };
  const namespace = () =>
    (JSON.parse(readFileSync(join(agentDir, 'network', 'state.json'), 'utf8')) as { namespace: string }).namespace;
  const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const links = (ns: string) =>
    execFileSync('ip', ['netns', 'exec', ns, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
  const userData = (name: string, lines: string[]) => {
    const file = join(dir, `${name}.txt`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const boot = async (name: string, port: string, data: string) => {
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
  const portId = async (name: string) => (await os('port', 'show', name, '-f', 'value', '-c', 'id')).trim();

  beforeAll(async () => {
    // Short: QMP sockets live under the agent's folder and unix socket paths are limited to 108 bytes.
    dir = mkdtempSync('/tmp/brn-');
    agentDir = join(dir, 'site1', 'agents', HOST);
    site = startBrume(
      ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'qemu', '--agents', '1'],
      { BRUME_ADMIN_PASSWORD: 'e2e-secret' },
    );
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    const base = env.OS_AUTH_URL?.replace(/\/v3$/, '');
    await waitFor('the agent', async () => {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      return h.agents.up >= 1;
    });
    await os('flavor', 'create', '--ram', '128', '--vcpus', '1', '--disk', '1', 'vm.tiny');
    for (const [net, cidr] of [
      ['blue', '10.50.0.0/24'],
      ['green', '10.60.0.0/24'],
    ] as const) {
      await os('network', 'create', net);
      await os('subnet', 'create', '--network', net, '--subnet-range', cidr, `${net}-v4`);
    }
    for (const [port, net, ip] of [
      ['pa', 'blue', '10.50.0.11'],
      ['pb', 'blue', '10.50.0.12'],
      ['pc', 'green', '10.60.0.13'],
    ] as const) {
      await os('port', 'create', '--network', net, '--fixed-ip', `subnet=${net}-v4,ip-address=${ip}`, port);
    }
  }, 300_000);

  afterAll(async () => {
    const status = await site?.stop();
    // Whatever a failed test left running: our VMs only (their pidfiles are under our folder), then the plumbing.
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
    expect(status).toBe(0);
  }, 60_000);

  it('two servers on one network ping each other; a security group change blocks and unblocks them live', async () => {
    await boot('vma', 'pa', userData('a', ['brume-ping 10.50.0.12']));
    await boot('vmb', 'pb', userData('b', ['brume-dhcp', 'brume-ping 10.50.0.11']));
    await waitFor('vma reaching vmb', async () => (await pings('vma', '10.50.0.12', 'ok')) >= 1);
    await waitFor('vmb reaching vma', async () => (await pings('vmb', '10.50.0.11', 'ok')) >= 1);
    // vmb took its address from the host's dnsmasq: the one Neutron's IPAM gave its port.
    expect(await consoleLog('vmb')).toContain('BRUME-NET eth0 dhcp 10.50.0.12');
    // Each guest read its own meta_data.json from 169.254.169.254 (vma by its static default route, vmb by the DHCP
    // option 121 route): the host's metadata proxy and relay, and the site's signed /metadata API.
    for (const vm of ['vma', 'vmb']) {
      await waitFor(`${vm} metadata`, async () => (await serial(vm)).includes('BRUME-METADATA'));
      expect(await serial(vm)).toContain(`BRUME-METADATA ${ids.get(vm)}\n`);
    }
    const ns = namespace();
    const [pa, pb] = [await portId('pa'), await portId('pb')];
    expect(links(ns)).toContain(tapName(pa));
    expect(links(ns)).toContain(tapName(pb));

    // vmb leaves the default group for one that lets nothing in: both directions stop (vmb is no longer a member
    // of the group vma accepts from), without a reboot.
    await os('security', 'group', 'create', 'locked');
    const failsBefore = await pings('vma', '10.50.0.12', 'fail');
    await os('port', 'set', '--no-security-group', '--security-group', 'locked', 'pb');
    await waitFor('the block', async () => (await pings('vma', '10.50.0.12', 'fail')) > failsBefore);
    const oksBefore = await pings('vma', '10.50.0.12', 'ok');
    await os('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'icmp', 'locked');
    await waitFor('the unblock', async () => (await pings('vma', '10.50.0.12', 'ok')) > oksBefore);
    expect(await consoleLog('vmb')).toContain('BRUME-GUEST-BOOTED vmb');
    expect((await consoleLog('vmb')).split('BRUME-GUEST-BOOTED').length - 1).toBe(1);

    await os('server', 'delete', '--wait', 'vmb');
    await waitFor('vmb tap removed', async () => !links(ns).includes(tapName(pb)));
    expect(links(ns)).toContain(tapName(pa));
  }, 400_000);

  it('a server on another network cannot reach them; deleting the servers removes all plumbing', async () => {
    await boot('vmc', 'pc', userData('c', ['brume-ping 10.60.0.1', 'brume-ping 10.50.0.11']));
    // Its own network works (the bridge answers at the gateway address) while the other network stays out of reach.
    await waitFor('vmc reaching its gateway', async () => (await pings('vmc', '10.60.0.1', 'ok')) >= 1);
    await waitFor('vmc probing vma', async () => (await pings('vmc', '10.50.0.11', 'fail')) >= 1);
    expect(await pings('vmc', '10.50.0.11', 'ok')).toBe(0);
    const ns = namespace();
    await os('server', 'delete', '--wait', 'vma', 'vmc');
    await waitFor(
      'the namespace removed',
      async () =>
        !namespaces()
          .split('\n')
          .some((l) => l.startsWith(`${ns} `) || l === ns),
    );
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(join(agentDir, 'network'));
  }, 300_000);
});
