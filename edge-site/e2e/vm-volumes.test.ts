/**
 * Volumes on real VMs end to end: the real `openstack` CLI against `brume up --driver qemu --agents 2` (TCG here;
 * two agents on this machine, each keeping volumes under its own data dir). One VM, forced onto host 2:
 * - a volume placed on host 1 is attached over NBD (host 1's qemu-nbd, TLS-PSK bound to host 2, loopback here); the
 *   guest sees the disk and its serial; detach stops the export; delete removes the file on host 1;
 * - a volume placed on host 2 (`--hint different_host=`) is attached as its local file, unplugged (the guest reports
 *   that too), attached again, and the server's deletion leaves it available.
 * Waits poll the REST API (a CLI call costs seconds under load); the actions go through the CLI.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExports, type Running, realVmMissing, run, startBrume, until } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const HOSTS = ['site1-host1', 'site1-host2'];

const skipReason = realVmMissing();
if (skipReason) process.stderr.write(`${skipReason}: skipping the real-VM volume e2e\n`);

/** Kills what a failed run may leave: QEMUs and qemu-nbd daemons, by their pidfiles under the agents' dirs. */
function killLeftovers(dir: string): void {
  const pidfiles = (base: string, sub: string, file: string) =>
    existsSync(join(base, sub)) ? readdirSync(join(base, sub)).map((e) => join(base, sub, e, file)) : [];
  for (const host of HOSTS) {
    const base = join(dir, 'site1', 'agents', host);
    for (const f of [
      ...pidfiles(base, 'qemu/instances', 'qemu.pid'),
      ...pidfiles(base, 'volumes/exports', 'qemu-nbd.pid'),
    ]) {
      try {
        process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
      } catch {}
    }
  }
}

describe.skipIf(skipReason !== undefined)('volumes on real VMs (openstack CLI, two qemu agents)', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  let base: string;
  let token: string;
  let project: string;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { 'x-auth-token': token } });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
    return (await res.json()) as any;
  };
  const volume = async (id: string) => (await get(`/volume/v3/${project}/volumes/${id}`)).volume;
  const volumeStatus = (id: string, wanted: string) =>
    until(`volume ${id} ${wanted}`, async () => {
      const s = (await volume(id)).status;
      if (s === 'error') throw new Error(`volume ${id} went to error waiting for ${wanted}`);
      return s === wanted;
    });
  const consoleLog = async (server: string) =>
    String(
      (
        await fetch(`${base}/compute/v2.1/servers/${server}/action`, {
          method: 'POST',
          headers: { 'x-auth-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ 'os-getConsoleOutput': {} }),
        }).then((r) => r.json() as Promise<{ output?: string }>)
      ).output ?? '',
    );
  const count = async (server: string, marker: string) => (await consoleLog(server)).split(marker).length - 1;
  const agentDir = (host: string) => join(dir, 'site1', 'agents', host);
  const volumeFile = (host: string, id: string) => join(agentDir(host), 'volumes', `volume-${id}.raw`);
  const newVolume = async (name: string, ...extra: string[]) => {
    const id = (await os('volume', 'create', '--size', '1', ...extra, '-f', 'value', '-c', 'id', name)).trim();
    await volumeStatus(id, 'available');
    return id;
  };

  beforeAll(async () => {
    // Short: QMP sockets live under the agent's folder and unix socket paths are limited to 108 bytes.
    dir = mkdtempSync('/tmp/bvv-');
    site = startBrume(
      ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'qemu', '--agents', '2'],
      { BRUME_ADMIN_PASSWORD: 'e2e-secret' },
    );
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    expect(site.output()).toMatch(/Public image brume-tiny/);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    base = env.OS_AUTH_URL?.replace(/\/v3$/, '') ?? '';
    await until('both agents', async () => {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      return h.agents.up >= 2;
    });
    const auth = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'e2e-secret' } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    token = auth.headers.get('x-subject-token') ?? '';
    project = ((await auth.json()) as { token: { project: { id: string } } }).token.project.id;
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

  it('attaches volumes of another host (NBD) and of its own host, detaches them, and frees them', async () => {
    // Equal free space: the first volume goes to host 1 (ties by name); the second avoids it.
    const far = await newVolume('far');
    expect((await volume(far))['os-vol-host-attr:host']).toBe('site1-host1@file#raw');
    const near = await newVolume('near', '--hint', `different_host=${far}`);
    expect((await volume(near))['os-vol-host-attr:host']).toBe('site1-host2@file#raw');
    expect(existsSync(volumeFile('site1-host1', far))).toBe(true);
    expect(existsSync(volumeFile('site1-host2', near))).toBe(true);

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
      '--availability-zone',
      'nova:site1-host2',
      '--wait',
      '-f',
      'json',
      'vmv1',
    );
    const id = String((JSON.parse(create) as { id: string }).id);
    const instanceDir = join(agentDir('site1-host2'), 'qemu', 'instances', id);
    // Disks plugged before the guest watches are part of its boot, not reported: wait for the watcher.
    await until('the guest disk watcher', async () => (await count(id, 'BRUME-DISK-WATCH')) >= 1, 180);

    // The volume of host 1, over NBD.
    await os('server', 'add', 'volume', 'vmv1', 'far');
    await volumeStatus(far, 'in-use');
    const exportDir = join(agentDir('site1-host1'), 'volumes', 'exports', `volume-${far}@site1-host2`);
    expect(existsSync(join(exportDir, 'qemu-nbd.pid'))).toBe(true);
    await until('the NBD hot-plug marker', async () =>
      (await consoleLog(id)).includes(`BRUME-DISK-ATTACHED vdc serial=${far.slice(0, 20)}`),
    );
    await os('server', 'remove', 'volume', 'vmv1', 'far');
    await volumeStatus(far, 'available');
    await until('the NBD unplug marker', async () => (await count(id, 'BRUME-DISK-DETACHED vdc')) >= 1);
    expect(existsSync(exportDir)).toBe(false);
    await os('volume', 'delete', 'far');
    await until('the far volume file gone', async () => !existsSync(volumeFile('site1-host1', far)), 60);

    // The volume of host 2, as its file.
    await os('server', 'add', 'volume', 'vmv1', 'near');
    await volumeStatus(near, 'in-use');
    await until('the local hot-plug marker', async () =>
      (await consoleLog(id)).includes(`BRUME-DISK-ATTACHED vdc serial=${near.slice(0, 20)}`),
    );
    expect((await volume(near)).attachments).toMatchObject([{ server_id: id, device: '/dev/vdc' }]);
    expect(readFileSync(join(instanceDir, 'volumes.json'), 'utf8')).toContain(volumeFile('site1-host2', near));
    await os('server', 'remove', 'volume', 'vmv1', 'near');
    await volumeStatus(near, 'available');
    await until('the local unplug marker', async () => (await count(id, 'BRUME-DISK-DETACHED vdc')) >= 2);
    expect(readFileSync(join(instanceDir, 'volumes.json'), 'utf8')).not.toContain(near);

    // Attached again, then the server goes: the volume is available, attached nowhere.
    await os('server', 'add', 'volume', 'vmv1', 'near');
    await volumeStatus(near, 'in-use');
    await until('the second local hot-plug marker', async () => (await count(id, 'BRUME-DISK-ATTACHED vdc')) >= 3);
    await os('server', 'delete', '--wait', 'vmv1');
    await volumeStatus(near, 'available');
    expect((await volume(near)).attachments).toEqual([]);
    expect(existsSync(instanceDir)).toBe(false);
    await os('volume', 'delete', 'near');
    await until('the near volume file gone', async () => !existsSync(volumeFile('site1-host2', near)), 60);
  }, 420_000);
});
