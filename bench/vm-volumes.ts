/**
 * Volume hot-plug on a real VM (the qemu driver, TCG here): one tiny guest; then, 3 times, attachVolume -> the
 * guest's `BRUME-DISK-ATTACHED` marker, and detachVolume (device_del until DEVICE_DELETED, blockdev-del) -> its
 * `BRUME-DISK-DETACHED` marker. The guest polls /sys/block once a second, so a marker lags the disk by up to 1 s:
 * the driver call's own time is printed apart. Then the same for a volume of another host (a second volume storage
 * in its own folder, as an agent of another host keeps it): `volume_export` (qemu-nbd with TLS-PSK on loopback),
 * attach over NBD, marker, detach, unexport. Skips with a sentence when QEMU or the guest is missing.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../shared/ports/clock.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import { createQemuDriver } from '../site-agent/drivers/qemu/driver.ts';
import { createImageCache } from '../site-agent/drivers/qemu/image-cache.ts';
import { testGuest } from '../site-agent/drivers/qemu/test-guest.ts';
import { fileVolumeStorage } from '../site-agent/volumes/file-storage.ts';
import { fmt, percentile } from './lib.ts';

/** Runs the volume hot-plug benchmark and prints its figures. */
export async function benchVmVolumes(): Promise<void> {
  const guest = await testGuest();
  if (typeof guest === 'string') {
    console.log(`skipped: ${guest}`);
    return;
  }
  // Short: the QMP socket path is limited to 108 bytes.
  const dir = mkdtempSync('/tmp/bvol-');
  const driver = createQemuDriver({
    dataDir: dir,
    clock: systemClock,
    log: silentLogger,
    namePrefix: 'brume-bench',
    stopTimeoutMs: 3_000,
    imageCache: createImageCache({ dir: join(dir, 'images'), log: silentLogger }),
    directBoot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
  });
  const id = 'bench-volumes';
  const waitMarker = async (marker: string, count: number) => {
    for (let i = 0; i < 1200; i++) {
      if ((await driver.consoleLog(id)).split(marker).length - 1 >= count) return;
      await systemClock.sleep(20);
    }
    throw new Error(`no ${count}x ${marker} after 24 s`);
  };
  try {
    await driver.spawn({
      id,
      name: id,
      hostname: id,
      projectId: 'p',
      vcpus: 1,
      memoryMiB: 128,
      diskGiB: 1,
      image: null,
      ports: [],
    });
    await waitMarker('BRUME-DISK-WATCH', 1);
    const path = join(dir, 'volume');
    writeFileSync(path, '');
    truncateSync(path, 1024 ** 3);
    const plug: number[] = [];
    const toAttached: number[] = [];
    const unplug: number[] = [];
    const toDetached: number[] = [];
    for (let i = 1; i <= 3; i++) {
      let t = performance.now();
      await driver.attachVolume(id, { volumeId: `bench-volume-${i}`, path, format: 'raw' });
      plug.push(performance.now() - t);
      await waitMarker('BRUME-DISK-ATTACHED', i);
      toAttached.push(performance.now() - t);
      t = performance.now();
      await driver.detachVolume(id, `bench-volume-${i}`, { timeoutMs: 30_000 });
      unplug.push(performance.now() - t);
      await waitMarker('BRUME-DISK-DETACHED', i);
      toDetached.push(performance.now() - t);
    }
    const line = (label: string, ms: number[]) =>
      `${label} p50 ${fmt(percentile(ms, 50), 0)} ms max ${fmt(Math.max(...ms), 0)} ms`;
    console.log(`${line('attachVolume (blockdev-add + device_add)', plug)}; ${line('-> guest marker', toAttached)}`);
    console.log(
      `${line('detachVolume (device_del .. DEVICE_DELETED)', unplug)}; ${line('-> guest marker', toDetached)}`,
    );

    // Cross-host: the volume is kept by another host's storage and reaches the VM over NBD.
    const remote = fileVolumeStorage({
      dir: join(dir, 'host-b', 'volumes'),
      address: '127.0.0.1',
      imageCache: createImageCache({ dir: join(dir, 'host-b', 'images'), log: silentLogger }),
      clock: systemClock,
      log: silentLogger,
    });
    const exportMs: number[] = [];
    const nbdPlug: number[] = [];
    const nbdToAttached: number[] = [];
    const nbdToDetached: number[] = [];
    const unexportMs: number[] = [];
    await remote.create('volume-bench-nbd', 1);
    for (let i = 1; i <= 3; i++) {
      const volumeId = `bench-nbd-${i}`;
      let t = performance.now();
      const nbd = await remote.export('volume-bench-nbd', 'bench-host', false);
      exportMs.push(performance.now() - t);
      t = performance.now();
      await driver.attachVolume(id, { volumeId, path: 'nbd', format: 'raw', nbd });
      nbdPlug.push(performance.now() - t);
      await waitMarker('BRUME-DISK-ATTACHED', 3 + i);
      nbdToAttached.push(performance.now() - t);
      t = performance.now();
      await driver.detachVolume(id, volumeId, { timeoutMs: 30_000 });
      await waitMarker('BRUME-DISK-DETACHED', 3 + i);
      nbdToDetached.push(performance.now() - t);
      t = performance.now();
      await remote.unexport('volume-bench-nbd', 'bench-host');
      unexportMs.push(performance.now() - t);
    }
    await remote.delete('volume-bench-nbd');
    console.log(
      `cross-host: ${line('volume_export (qemu-nbd, TLS-PSK)', exportMs)}; ${line('attach over NBD', nbdPlug)}; ` +
        `${line('-> guest marker', nbdToAttached)}`,
    );
    console.log(
      `cross-host: ${line('detach -> guest marker', nbdToDetached)}; ${line('volume_unexport', unexportMs)}; ` +
        `local attach -> marker p50 ${fmt(percentile(toAttached, 50), 0)} ms for comparison`,
    );
  } finally {
    await driver.destroy(id).catch(() => undefined);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
