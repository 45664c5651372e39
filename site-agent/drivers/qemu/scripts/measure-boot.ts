/**
 * Prints boot figures of the tiny guest (one VM at a time): bare QEMU boots of the same kernel+initrd, then boots
 * through the driver (Glance ISO image and direct kernel boot), with each VM's RSS once booted.
 * Usage: node site-agent/drivers/qemu/scripts/measure-boot.ts [runs=2]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { systemClock } from '../../../../shared/ports/clock.ts';
import { silentLogger } from '../../../../shared/ports/logger.ts';
import { buildConfigDrive } from '../config-drive.ts';
import { createQemuDriver } from '../driver.ts';
import { createImageCache } from '../image-cache.ts';
import { readPid, signal } from '../process.ts';
import { testGuest } from '../test-guest.ts';

const execFileAsync = promisify(execFile);
const runs = Number(process.argv[2] ?? 2);
const guest = await testGuest();
if (typeof guest === 'string') {
  console.log(`skipped: ${guest}`);
  process.exit(0);
}
const root = await mkdtemp(join(tmpdir(), 'brume-measure-'));
const rssMiB = async (pid: number) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

async function waitFor(file: string, marker: string, started: number): Promise<number> {
  while (systemClock.now() - started < 120_000) {
    if ((await readFile(file, 'utf8').catch(() => '')).includes(marker)) return systemClock.now() - started;
    await systemClock.sleep(25);
  }
  throw new Error(`no ${marker} in ${file}`);
}

async function bare(label: string, boot: string[]): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(root, 'bare-'));
    const started = systemClock.now();
    await execFileAsync('qemu-system-x86_64', [
      ...['-name', 'brume-measure', '-nodefaults', '-no-user-config', '-display', 'none', '-M', 'pc'],
      ...['-accel', 'tcg', '-cpu', 'max', '-m', '128', '-daemonize', '-pidfile', join(dir, 'pid')],
      ...['-serial', `file:${join(dir, 'console.log')}`, ...boot],
    ]);
    const ms = await waitFor(join(dir, 'console.log'), 'BRUME-GUEST-BOOTED', started);
    const pid = await readPid(join(dir, 'pid'));
    const rss = pid === null ? 0 : await rssMiB(pid);
    if (pid !== null) signal(pid, 'SIGKILL');
    console.log(`${label}: ${ms} ms to BRUME-GUEST-BOOTED, RSS ${rss} MiB`);
  }
}

// The same config drive the driver writes, so /init finds one at once (it waits up to 3 s for it otherwise).
const spec = {
  id: 'bare',
  name: 'bare',
  hostname: 'bare',
  projectId: 'p',
  vcpus: 1,
  memoryMiB: 128,
  diskGiB: 1,
  image: null,
  ports: [],
};
const configDrive = join(root, 'config.iso');
await buildConfigDrive(spec, join(root, 'config-drive'), configDrive);
const cfg = ['-drive', `file=${configDrive},if=virtio,format=raw,readonly=on`];

const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
console.log(`load average before: ${await load()}`);
try {
  await bare('bare qemu, vmlinux (PVH) + initrd', [
    '-kernel',
    guest.kernel,
    '-initrd',
    guest.initrd,
    '-append',
    guest.cmdline,
  ]);
  await bare('bare qemu, bzImage + initrd', [
    '-kernel',
    join(guest.dir, 'bzImage'),
    '-initrd',
    guest.initrd,
    '-append',
    guest.cmdline,
  ]);
  await bare('bare qemu, ISO (SeaBIOS + isolinux)', ['-cdrom', guest.iso, ...cfg]);

  const driver = createQemuDriver({
    dataDir: join(root, 'agent'),
    clock: systemClock,
    log: silentLogger,
    namePrefix: 'brume-measure',
    imageCache: createImageCache({ dir: join(root, 'images'), log: silentLogger }),
    directBoot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
  });
  const iso = {
    id: 'guest-iso',
    diskFormat: 'iso',
    size: null,
    hash: guest.isoSha512,
    url: pathToFileURL(guest.iso).href,
  };
  for (const [label, image] of [
    ['driver, Glance ISO image', iso],
    ['driver, direct kernel boot', null],
  ] as const) {
    for (let i = 0; i < runs; i++) {
      const id = `m${i}-${image ? 'iso' : 'direct'}`;
      const started = systemClock.now();
      await driver.spawn({
        id,
        name: id,
        hostname: id,
        projectId: 'p',
        vcpus: 1,
        memoryMiB: 128,
        diskGiB: 1,
        image,
        ports: [{ id: 'port', networkId: 'net', mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/24'], gateway: '10.0.0.1' }],
      });
      const spawned = systemClock.now() - started;
      const ms = await waitFor(join(root, 'agent', 'instances', id, 'console.log'), 'BRUME-GUEST-BOOTED', started);
      const pid = await readPid(join(root, 'agent', 'instances', id, 'qemu.pid'));
      const rss = pid === null ? 0 : await rssMiB(pid);
      await driver.destroy(id);
      console.log(`${label}: spawn returned in ${spawned} ms, ${ms} ms to BRUME-GUEST-BOOTED, RSS ${rss} MiB`);
    }
  }
  await driver.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`load average after: ${await load()}`);
