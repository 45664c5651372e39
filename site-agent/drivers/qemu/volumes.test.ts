/**
 * Volumes of the qemu driver: the recorded attachments and the command line they give (pure), and one real VM
 * booted from a volume holding the tiny guest's ISO with a second volume attached from the start. The hot-plug
 * itself is in the driver contract (run-hypervisor-contract.ts). Skips the VM part, saying why, without QEMU.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import { silentLogger } from '../../../shared/ports/logger.ts';
import { createQemuDriver } from './driver.ts';
import { createImageCache } from './image-cache.ts';
import { isOurProcess, readPid, signal } from './process.ts';
import { type TestGuest, testGuest } from './test-guest.ts';
import { qemuIds, readAttached, recordSpawnVolumes, volumeLaunchArgs } from './volumes.ts';

const root = await mkdtemp(join(tmpdir(), 'brume-qvol-'));
afterAll(async () => {
  const dir = join(root, 'host', 'instances', 'bfv-1');
  const pid = await readPid(join(dir, 'qemu.pid'));
  if (pid !== null && (await isOurProcess(pid, dir))) signal(pid, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
});

describe('qemu volume records', () => {
  it('gives each volume stable, distinct QEMU ids that fit node-name limits', () => {
    const a = qemuIds('0190d7a0-0000-7000-8000-0000000000b1');
    const b = qemuIds('0190d7a0-0000-7000-8000-0000000000b2');
    expect(a).toEqual(qemuIds('0190d7a0-0000-7000-8000-0000000000b1'));
    expect(a.node).not.toBe(b.node);
    expect(a.node.length).toBeLessThanOrEqual(31);
    expect(a.node).toMatch(/^[a-z][a-z0-9]+$/);
  });

  it('records spawn volumes in device order and plugs them on the command line', async () => {
    const dir = join(root, 'records');
    await writeFile(join(root, 'v1'), '');
    await writeFile(join(root, 'v2'), '');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await recordSpawnVolumes(dir, [
      { volumeId: 'vol-one', path: join(root, 'v1'), format: 'raw' },
      { volumeId: 'vol-two', path: join(root, 'v2'), format: 'qcow2', serial: 'S2', readOnly: true },
    ]);
    expect((await readAttached(dir)).map((v) => [v.volumeId, v.device, v.serial])).toEqual([
      ['vol-one', '/dev/vdc', 'vol-one'],
      ['vol-two', '/dev/vdd', 'S2'],
    ]);
    const args = await volumeLaunchArgs(dir);
    const two = qemuIds('vol-two');
    expect(args).toContain(
      `driver=qcow2,node-name=${two.node},read-only=on,file.driver=file,file.filename=${join(root, 'v2')}`,
    );
    expect(args).toContain(`virtio-blk-pci,id=${two.device},drive=${two.node},serial=S2`);
    await expect(
      recordSpawnVolumes(dir, [{ volumeId: 'gone', path: join(root, 'missing'), format: 'raw' }]),
    ).rejects.toMatchObject({ code: 'hypervisor.volume_missing' });
  });
});

const guest = await testGuest();
const skipReason = typeof guest === 'string' ? guest : undefined;

describe.skipIf(skipReason !== undefined)(`a VM booted from a volume ${skipReason ?? ''}`, () => {
  it('boots the ISO volume as a CD-ROM with a data volume attached, and keeps both files when destroyed', {
    timeout: 180_000,
  }, async () => {
    const g = guest as TestGuest;
    const dataDir = join(root, 'host');
    const d = createQemuDriver({
      dataDir,
      clock: systemClock,
      log: silentLogger,
      namePrefix: 'brume-test',
      stopTimeoutMs: 3_000,
      imageCache: createImageCache({ dir: join(root, 'images'), log: silentLogger }),
      directBoot: { kernel: g.kernel, initrd: g.initrd, cmdline: g.cmdline },
    });
    const bootVolume = join(root, 'volume-boot');
    const dataVolume = join(root, 'volume-data');
    await copyFile(g.iso, bootVolume);
    await writeFile(dataVolume, '');
    await truncate(dataVolume, 64 * 1024 * 1024);
    const id = 'bfv-1';
    const vm = await d.spawn({
      id,
      name: id,
      hostname: 'bfv-host',
      projectId: 'p1',
      vcpus: 1,
      memoryMiB: 128,
      diskGiB: 1,
      image: null,
      ports: [],
      rootVolume: { volumeId: 'boot', path: bootVolume, format: 'raw', media: 'cdrom' },
      volumes: [{ volumeId: 'data', path: dataVolume, format: 'raw' }],
    });
    expect(vm.powerState).toBe('running');
    const plan = JSON.parse(await readFile(join(dataDir, 'instances', id, 'instance.json'), 'utf8')) as {
      cdrom?: string;
      directBoot?: unknown;
    };
    expect(plan).toMatchObject({ cdrom: bootVolume });
    expect(plan.directBoot).toBeUndefined();
    for (let i = 0; !(await d.consoleLog(id)).includes('BRUME-DISK-WATCH'); i++) {
      if (i > 1500) throw new Error(`no boot marker:\n${await d.consoleLog(id)}`);
      await systemClock.sleep(100);
    }
    expect(await d.consoleLog(id)).toContain('BRUME-GUEST-BOOTED bfv-host');
    // The data volume was there from the start: detaching it unplugs a live device.
    await d.detachVolume(id, 'data', { timeoutMs: 60_000 });
    expect(await readAttached(join(dataDir, 'instances', id))).toEqual([]);
    for (let i = 0; !(await d.consoleLog(id)).includes('BRUME-DISK-DETACHED vdc'); i++) {
      if (i > 300) throw new Error(`the guest never lost vdc:\n${await d.consoleLog(id)}`);
      await systemClock.sleep(100);
    }
    await d.destroy(id);
    expect((await stat(bootVolume)).size).toBe((await stat(g.iso)).size);
    expect((await stat(dataVolume)).size).toBe(64 * 1024 * 1024);
    await d.close();
  });
});
