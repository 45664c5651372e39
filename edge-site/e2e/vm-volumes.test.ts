/**
 * Volumes on real VMs end to end: the real `openstack` CLI against `brume up --driver qemu` (TCG here). A volume is
 * hot-plugged into the tiny guest, which reports the disk and its serial on its console; it is unplugged (the guest
 * reports that too) and is available again; deleting a server with a volume attached leaves the volume available.
 * One VM. The volume's file lives in the site's data folder and the agent (same machine) opens it there.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExports, type Running, realVmMissing, run, startBrume, until } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';

const skipReason = realVmMissing();
if (skipReason) process.stderr.write(`${skipReason}: skipping the real-VM volume e2e\n`);

const HOST = 'site1-host1';

describe.skipIf(skipReason !== undefined)('volumes on real VMs (openstack CLI, brume up --driver qemu)', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  let agentDir: string;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const field = async (kind: string, name: string, f: string) =>
    (await os(kind, 'show', name, '-f', 'value', '-c', f)).trim();
  const waitFor = until;
  const volumeStatus = (name: string, wanted: string) =>
    waitFor(`volume ${name} ${wanted}`, async () => {
      const s = await field('volume', name, 'status');
      if (s === 'error') throw new Error(`volume ${name} went to error waiting for ${wanted}`);
      return s === wanted;
    });
  const consoleLog = (server: string) => os('console', 'log', 'show', server);
  const count = async (server: string, marker: string) => (await consoleLog(server)).split(marker).length - 1;
  const instanceDir = (id: string) => join(agentDir, 'qemu', 'instances', id);

  beforeAll(async () => {
    // Short: QMP sockets live under the agent's folder and unix socket paths are limited to 108 bytes.
    dir = mkdtempSync('/tmp/bvv-');
    agentDir = join(dir, 'site1', 'agents', HOST);
    site = startBrume(
      ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'qemu', '--agents', '1'],
      { BRUME_ADMIN_PASSWORD: 'e2e-secret' },
    );
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    expect(site.output()).toMatch(/Public image brume-tiny/);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    const base = env.OS_AUTH_URL?.replace(/\/v3$/, '');
    await waitFor('the agent', async () => {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      return h.agents.up >= 1;
    });
    await os('flavor', 'create', '--ram', '128', '--vcpus', '1', '--disk', '1', 'vm.tiny');
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
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(status).toBe(0);
  }, 60_000);

  it('hot-plugs a volume the guest sees, unplugs it, and frees it when the server is deleted', async () => {
    const create = await os(
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
      '--wait',
      '-f',
      'json',
      'vmv1',
    );
    const id = String((JSON.parse(create) as { id: string }).id);
    const volumeId = (await os('volume', 'create', '--size', '1', '-f', 'value', '-c', 'id', 'vol1')).trim();
    await volumeStatus('vol1', 'available');
    // Disks plugged before the guest watches are part of its boot, not reported: wait for the watcher.
    await waitFor('the guest disk watcher', async () => (await count('vmv1', 'BRUME-DISK-WATCH')) >= 1, 180);

    await os('server', 'add', 'volume', 'vmv1', 'vol1');
    await volumeStatus('vol1', 'in-use');
    const serial = volumeId.slice(0, 20);
    await waitFor('the hot-plug marker', async () =>
      (await consoleLog('vmv1')).includes(`BRUME-DISK-ATTACHED vdc serial=${serial}`),
    );
    const attachments = JSON.parse(await os('volume', 'show', 'vol1', '-f', 'json', '-c', 'attachments')) as {
      attachments: Array<{ server_id: string; device: string }>;
    };
    expect(attachments.attachments).toMatchObject([{ server_id: id, device: '/dev/vdc' }]);
    expect(readFileSync(join(instanceDir(id), 'volumes.json'), 'utf8')).toContain(volumeId);

    await os('server', 'remove', 'volume', 'vmv1', 'vol1');
    await volumeStatus('vol1', 'available');
    await waitFor('the unplug marker', async () => (await count('vmv1', 'BRUME-DISK-DETACHED vdc')) >= 1);
    expect(readFileSync(join(instanceDir(id), 'volumes.json'), 'utf8')).not.toContain(volumeId);

    // Attached again, then the server goes: the volume is available, attached nowhere.
    await os('server', 'add', 'volume', 'vmv1', 'vol1');
    await volumeStatus('vol1', 'in-use');
    await waitFor('the second hot-plug marker', async () => (await count('vmv1', 'BRUME-DISK-ATTACHED vdc')) >= 2);
    await os('server', 'delete', '--wait', 'vmv1');
    await volumeStatus('vol1', 'available');
    expect(await field('volume', 'vol1', 'attachments')).toBe('[]');
    expect(existsSync(instanceDir(id))).toBe(false);
    await os('volume', 'delete', 'vol1');
  }, 420_000);
});
