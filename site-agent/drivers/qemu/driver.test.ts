/**
 * The qemu driver against real QEMU (TCG here; KVM where the host has it) booting the tiny guest from
 * site-agent/guest/build.sh. Skips, saying why, when QEMU is absent or the guest cannot be built.
 * Keeps to one or two VMs at a time; every QEMU started is killed by pid in afterAll.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import type { HypervisorDriver } from '../../../shared/ports/hypervisor.ts';
import { silentLogger } from '../../../shared/ports/logger.ts';
import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';
import { runHypervisorContract } from '../../../shared/testing/run-hypervisor-contract.ts';
import { createQemuDriver } from './driver.ts';
import { createImageCache } from './image-cache.ts';
import { isOurProcess, readPid, signal } from './process.ts';
import { type TestGuest, testGuest } from './test-guest.ts';

const guest = await testGuest();
const skipReason = typeof guest === 'string' ? guest : undefined;
const root = await mkdtemp(join(tmpdir(), 'brume-qemu-'));
const dataDirs = new Map<HypervisorDriver, string>();
let hosts = 0;

/** Kills every QEMU whose pidfile lies under the test folder, then removes it. */
async function killAll(dataDir: string): Promise<void> {
  const ids = await readdir(join(dataDir, 'instances')).catch(() => []);
  for (const id of ids) {
    const dir = join(dataDir, 'instances', id);
    const pid = await readPid(join(dir, 'qemu.pid'));
    if (pid !== null && (await isOurProcess(pid, dir))) signal(pid, 'SIGKILL');
  }
}

afterAll(async () => {
  for (const dir of await readdir(root).catch(() => [])) await killAll(join(root, dir));
  await rm(root, { recursive: true, force: true });
});

function open(g: TestGuest, dataDir: string, stopTimeoutMs = 3_000): HypervisorDriver {
  const driver = createQemuDriver({
    dataDir,
    clock: systemClock,
    log: silentLogger,
    namePrefix: 'brume-test',
    accel: 'auto',
    stopTimeoutMs,
    imageCache: createImageCache({ dir: join(root, 'images'), log: silentLogger }),
    directBoot: { kernel: g.kernel, initrd: g.initrd, cmdline: g.cmdline },
  });
  dataDirs.set(driver, dataDir);
  return driver;
}

const spec = (g: TestGuest, id: string, over: Partial<InstanceSpec> = {}): InstanceSpec => ({
  id,
  name: `vm-${id}`,
  hostname: `vm-${id}`,
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 128,
  diskGiB: 1,
  image: { id: 'brume-guest-iso', diskFormat: 'iso', size: null, hash: g.isoSha512, url: pathToFileURL(g.iso).href },
  ports: [{ id: 'port1', networkId: 'net1', mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/24'], gateway: '10.0.0.1' }],
  ...over,
});

async function waitForConsole(d: HypervisorDriver, id: string, marker: string, count = 1): Promise<number> {
  const started = systemClock.now();
  while (systemClock.now() - started < 90_000) {
    const log = await d.consoleLog(id);
    if (log.split(marker).length - 1 >= count) return systemClock.now() - started;
    await systemClock.sleep(100);
  }
  throw new Error(`no ${count}x "${marker}" in the console of ${id}:\n${await d.consoleLog(id)}`);
}

describe.skipIf(skipReason !== undefined)(`qemu driver with the tiny guest ${skipReason ?? ''}`, () => {
  const g = guest as TestGuest;

  it('boots the guest from a Glance ISO with a config drive, and drives its whole life', {
    timeout: 300_000,
  }, async () => {
    const dataDir = join(root, 'lifecycle');
    const d = open(g, dataDir, 30_000);
    const id = 'life-1';
    const userData = Buffer.from('#cloud-config\nbrume: hello from user-data\n').toString('base64');
    const vm = await d.spawn(
      spec(g, id, { hostname: 'life-host', userData, publicKeys: { k1: 'ssh-ed25519 AAAAC3Nza test@brume' } }),
    );
    expect(vm.powerState).toBe('running');
    await waitForConsole(d, id, 'BRUME-GUEST-BOOTED life-host');
    await waitForConsole(d, id, 'BRUME-NET eth0 10.0.0.5');
    const log = await d.consoleLog(id);
    expect(log).toContain('BRUME-USER-DATA-BEGIN\n#cloud-config\nbrume: hello from user-data');
    expect(log).toContain('BRUME-PUBLIC-KEY k1 ssh-ed25519 AAAAC3Nza test@brume');
    expect((await d.inventory()).hypervisorType).toBe('QEMU');

    expect((await d.pause(id)).powerState).toBe('paused');
    expect((await d.inspect(id)).powerState).toBe('paused');
    expect((await d.unpause(id)).powerState).toBe('running');

    expect((await d.reboot(id, true)).powerState).toBe('running');
    await waitForConsole(d, id, 'BRUME-NET eth0 10.0.0.5', 2);

    // The booted guest honours the ACPI power button: a clean stop, not a quit.
    expect((await d.stop(id)).powerState).toBe('shutdown');
    expect(await d.consoleLog(id)).toContain('BRUME-GUEST-POWEROFF');
    expect((await d.start(id)).powerState).toBe('running');

    // An agent restart: a second driver on the same folder reattaches by pidfile + QMP socket.
    await d.close();
    const again = open(g, dataDir);
    expect(await again.recover()).toMatchObject([{ id, powerState: 'running' }]);
    expect((await again.pause(id)).powerState).toBe('paused');
    expect((await again.unpause(id)).powerState).toBe('running');

    // QEMU killed behind the driver's back: reported shut down, and it can be started again.
    const pid = await readPid(join(dataDir, 'instances', id, 'qemu.pid'));
    expect(pid).not.toBeNull();
    signal(pid ?? 0, 'SIGKILL');
    await systemClock.sleep(200);
    expect((await again.inspect(id)).powerState).toBe('shutdown');
    expect((await again.start(id)).powerState).toBe('running');

    await again.destroy(id);
    await expect(stat(join(dataDir, 'instances', id))).rejects.toMatchObject({ code: 'ENOENT' });
    await again.destroy(id);
    await again.close();
  });

  it('a spawn that fails leaves no folder and no QEMU behind', async () => {
    const dataDir = join(root, 'failing');
    const d = open(g, dataDir);
    const bad = spec(g, 'bad-1', {
      image: { id: 'corrupt', diskFormat: 'raw', size: null, hash: 'ab'.repeat(64), url: pathToFileURL(g.initrd).href },
    });
    await expect(d.spawn(bad)).rejects.toMatchObject({ code: 'hypervisor.image_corrupt' });
    expect(await readdir(join(dataDir, 'instances'))).toEqual([]);
    const noKernel = spec(g, 'bad-2', { vcpus: 100_000 });
    await expect(d.spawn(noKernel)).rejects.toMatchObject({ code: 'hypervisor.spawn_failed' });
    expect(await readdir(join(dataDir, 'instances'))).toEqual([]);
    expect(await readFile(join(root, 'images', 'corrupt')).catch(() => 'absent')).toBe('absent');
  });
});

if (skipReason === undefined) {
  const g = guest as TestGuest;
  const readyCalls = new Map<string, number>();
  runHypervisorContract('qemu (TCG or KVM)', {
    async open() {
      return open(g, join(root, `host${hosts++}`));
    },
    spec: (id) => spec(g, id, { image: null }),
    async restart(d) {
      await d.close();
      const dataDir = dataDirs.get(d);
      if (!dataDir) throw new Error('unknown driver');
      return open(g, dataDir);
    },
    failingSpawn: (_d, id) =>
      spec(g, id, {
        image: { id: 'missing', diskFormat: 'raw', size: null, hash: null, url: 'file:///nonexistent/brume' },
      }),
    async guestReady(d, id) {
      // The nth call for a VM waits for its nth boot (the console log is appended across boots).
      const key = `${dataDirs.get(d)}:${id}`;
      const boots = (readyCalls.get(key) ?? 0) + 1;
      readyCalls.set(key, boots);
      await waitForConsole(d, id, 'BRUME-GUEST-BOOTED', boots);
    },
    async volume(d, volumeId) {
      const dir = join(dataDirs.get(d) ?? root, 'volumes');
      await mkdir(dir, { recursive: true });
      const path = join(dir, `volume-${volumeId}`);
      await writeFile(path, '', { flag: 'a' });
      await truncate(path, 1024 * 1024);
      return { volumeId, path, format: 'raw' };
    },
    async nics(d, id) {
      const plan = JSON.parse(
        await readFile(join(dataDirs.get(d) ?? root, 'instances', id, 'instance.json'), 'utf8'),
      ) as { nics: Array<{ portId?: string }> };
      return plan.nics.map((n) => n.portId ?? '');
    },
    async cleanup(d) {
      for (const vm of await d.list()) await d.destroy(vm.id);
      const dataDir = dataDirs.get(d);
      if (dataDir) await killAll(dataDir);
    },
  });
}
