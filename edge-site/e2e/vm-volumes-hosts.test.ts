/**
 * Volumes kept per host, end to end: `brume up --driver qemu --agents 2` (two agents on this machine, each with
 * its own data dir). A volume placed on one host is hot-plugged into a server forced onto the other host: the
 * volume's host serves it over NBD (qemu-nbd, TLS-PSK bound to the server's host, loopback here), the guest sees the
 * disk; detach stops the export; delete removes the file from the volume's host. One VM.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExports, type Running, realVmMissing, run, startBrume, until } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const HOSTS = ['site1-host1', 'site1-host2'];

const skipReason = realVmMissing();
if (skipReason) process.stderr.write(`${skipReason}: skipping the per-host volume e2e\n`);

/** Kills what a failed run may leave: QEMUs and qemu-nbd daemons, by their pidfiles under the agents' dirs. */
function killLeftovers(dir: string): void {
  for (const host of HOSTS) {
    const base = join(dir, 'site1', 'agents', host);
    const pidfiles = [
      ...(existsSync(join(base, 'qemu', 'instances'))
        ? readdirSync(join(base, 'qemu', 'instances')).map((id) => join(base, 'qemu', 'instances', id, 'qemu.pid'))
        : []),
      ...(existsSync(join(base, 'volumes', 'exports'))
        ? readdirSync(join(base, 'volumes', 'exports')).map((e) => join(base, 'volumes', 'exports', e, 'qemu-nbd.pid'))
        : []),
    ];
    for (const f of pidfiles) {
      try {
        process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
      } catch {}
    }
  }
}

describe.skipIf(skipReason !== undefined)('volumes on the hosts of a site (openstack CLI, two qemu agents)', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const field = async (kind: string, name: string, f: string) =>
    (await os(kind, 'show', name, '-f', 'value', '-c', f)).trim();
  const volumeStatus = (name: string, wanted: string) =>
    until(`volume ${name} ${wanted}`, async () => {
      const s = await field('volume', name, 'status');
      if (s === 'error') throw new Error(`volume ${name} went to error waiting for ${wanted}`);
      return s === wanted;
    });
  const consoleLog = (server: string) => os('console', 'log', 'show', server);
  const agentDir = (host: string) => join(dir, 'site1', 'agents', host);

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/bvh-');
    site = startBrume(
      ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'qemu', '--agents', '2'],
      { BRUME_ADMIN_PASSWORD: 'e2e-secret' },
    );
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    const base = env.OS_AUTH_URL?.replace(/\/v3$/, '');
    await until('both agents', async () => {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      return h.agents.up >= 2;
    });
    await os('flavor', 'create', '--ram', '128', '--vcpus', '1', '--disk', '1', 'vm.tiny');
  }, 300_000);

  afterAll(async () => {
    const status = await site?.stop();
    if (dir) {
      killLeftovers(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(status).toBe(0);
  }, 60_000);

  it('attaches a volume of another host over NBD, detaches it, and deletes its file on its host', async () => {
    const volumeId = (await os('volume', 'create', '--size', '1', '-f', 'value', '-c', 'id', 'far')).trim();
    await volumeStatus('far', 'available');
    const cinderHost = await field('volume', 'far', 'os-vol-host-attr:host');
    const volumeHost = HOSTS.find((h) => cinderHost === `${h}@file#raw`);
    expect(volumeHost, cinderHost).toBeDefined();
    const serverHost = HOSTS.find((h) => h !== volumeHost) ?? '';
    const file = join(agentDir(volumeHost ?? ''), 'volumes', `volume-${volumeId}.raw`);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(agentDir(serverHost), 'volumes', `volume-${volumeId}.raw`))).toBe(false);

    await os(
      '--os-compute-api-version',
      '2.37',
      'server',
      'create',
      '--image',
      'brume-tiny',
      '--flavor',
      'vm.tiny',
      '--nic',
      'none',
      '--availability-zone',
      `nova:${serverHost}`,
      '--wait',
      'vmh1',
    );
    expect(await field('server', 'vmh1', 'OS-EXT-SRV-ATTR:host')).toBe(serverHost);
    await until('the guest disk watcher', async () => (await consoleLog('vmh1')).includes('BRUME-DISK-WATCH'), 180);

    await os('server', 'add', 'volume', 'vmh1', 'far');
    await volumeStatus('far', 'in-use');
    const exportDir = join(agentDir(volumeHost ?? ''), 'volumes', 'exports', `volume-${volumeId}@${serverHost}`);
    expect(existsSync(join(exportDir, 'qemu-nbd.pid'))).toBe(true);
    await until('the hot-plug marker', async () =>
      (await consoleLog('vmh1')).includes(`BRUME-DISK-ATTACHED vdc serial=${volumeId.slice(0, 20)}`),
    );

    await os('server', 'remove', 'volume', 'vmh1', 'far');
    await volumeStatus('far', 'available');
    await until('the unplug marker', async () => (await consoleLog('vmh1')).includes('BRUME-DISK-DETACHED vdc'));
    expect(existsSync(exportDir)).toBe(false);

    await os('volume', 'delete', 'far');
    await until('the volume file gone', async () => !existsSync(file), 60);
    await os('server', 'delete', '--wait', 'vmh1');
  }, 420_000);
});
