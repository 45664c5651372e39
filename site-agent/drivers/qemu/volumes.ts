/**
 * Volumes of a qemu VM: hot-plug over QMP (`blockdev-add` + `device_add virtio-blk-pci`), unplug (`device_del`, wait
 * for `DEVICE_DELETED`, `blockdev-del`), and `volumes.json` beside the pidfile and QMP socket recording what is
 * attached, so a restarted agent knows it and a relaunched QEMU (start, soft reboot) gets the disks back on its
 * command line. Both directions are idempotent: the record and QEMU's live devices are reconciled on every call.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrumeError } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import type { VolumeAttachSpec, VolumeNbdExport } from '../../../shared/schemas/agent-protocol.ts';
import { nextVolumeDevice, volumeSerial } from '../volume-devices.ts';
import { run } from './process.ts';
import type { QmpClient } from './qmp.ts';

/** A volume recorded as attached to a VM. */
export interface AttachedVolume {
  volumeId: string;
  path: string;
  format: 'raw' | 'qcow2';
  serial: string;
  readOnly: boolean;
  /** The guest device name predicted at attach time (`/dev/vdc`). */
  device: string;
  /** A volume of another host, opened over NBD (TLS-PSK) instead of `path`. */
  nbd?: VolumeNbdExport;
}

/** What the volume operations need from the driver for one VM (called inside its per-VM lock). */
export interface VolumeVm {
  dir: string;
  /** False when no QEMU runs for the VM (the record alone changes; disks appear at the next launch). */
  live: boolean;
  qmp<T>(fn: (qmp: QmpClient) => Promise<T>): Promise<T>;
  clock: Clock;
  log: Logger;
}

const esc = (path: string) => path.replaceAll(',', ',,');

/** The file recording a VM's attached volumes. */
export const volumesFile = (dir: string) => join(dir, 'volumes.json');

/** QEMU ids for a volume: node names are at most 31 characters, so the id is hashed (stable across restarts). */
export function qemuIds(volumeId: string): { node: string; device: string } {
  const key = createHash('sha256').update(volumeId).digest('hex').slice(0, 30);
  return { node: `v${key}`, device: `d${key}` };
}

/** The volumes recorded for a VM (empty when none, or when the file is unreadable). */
export async function readAttached(dir: string): Promise<AttachedVolume[]> {
  const text = await readFile(volumesFile(dir), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as { volumes?: AttachedVolume[] };
    return Array.isArray(parsed.volumes) ? parsed.volumes : [];
  } catch {
    return [];
  }
}

async function writeAttached(dir: string, volumes: AttachedVolume[]): Promise<void> {
  const file = volumesFile(dir);
  await writeFile(`${file}.tmp`, JSON.stringify({ v: 1, volumes }, null, 2));
  await rename(`${file}.tmp`, file);
}

/** The TLS credentials object of a remote volume, and the folder holding its key (`keys.psk`). */
const tlsOf = (dir: string, volumeId: string) => ({
  id: `t${qemuIds(volumeId).node.slice(1)}`,
  dir: join(dir, 'nbd-psk', qemuIds(volumeId).node),
});

/** Writes the pre-shared key a remote volume's export wants (before QEMU opens it). */
async function writePsk(dir: string, v: { volumeId: string; nbd?: VolumeNbdExport }): Promise<void> {
  if (!v.nbd) return;
  const tls = tlsOf(dir, v.volumeId);
  await mkdir(tls.dir, { recursive: true, mode: 0o700 });
  await writeFile(join(tls.dir, 'keys.psk'), `${v.nbd.pskIdentity}:${v.nbd.pskKey}\n`, { mode: 0o600 });
}

const blockdev = (dir: string, v: AttachedVolume) => {
  const ids = qemuIds(v.volumeId);
  const file = v.nbd
    ? {
        driver: 'nbd',
        server: { type: 'inet', host: v.nbd.host, port: String(v.nbd.port) },
        export: v.nbd.export,
        'tls-creds': tlsOf(dir, v.volumeId).id,
      }
    : { driver: 'file', filename: v.path, 'read-only': v.readOnly };
  return { 'node-name': ids.node, driver: v.format, 'read-only': v.readOnly, file };
};
const deviceArgs = (v: AttachedVolume) => {
  const ids = qemuIds(v.volumeId);
  return { driver: 'virtio-blk-pci', id: ids.device, drive: ids.node, serial: v.serial };
};

/** Command-line arguments plugging the recorded volumes at launch, in device order (so the guest names match). */
export async function volumeLaunchArgs(dir: string): Promise<string[]> {
  const volumes = (await readAttached(dir)).sort((a, b) => a.device.localeCompare(b.device));
  return volumes.flatMap((v) => {
    const ids = qemuIds(v.volumeId);
    const ro = v.readOnly ? ',read-only=on' : '';
    if (v.nbd) {
      const tls = tlsOf(dir, v.volumeId);
      const n = v.nbd;
      return [
        '-object',
        `tls-creds-psk,id=${tls.id},endpoint=client,dir=${esc(tls.dir)},username=${esc(n.pskIdentity)}`,
        '-blockdev',
        `driver=${v.format},node-name=${ids.node}${ro},file.driver=nbd,file.server.type=inet,` +
          `file.server.host=${esc(n.host)},file.server.port=${n.port},file.export=${esc(n.export)},` +
          `file.tls-creds=${tls.id}`,
        '-device',
        `virtio-blk-pci,id=${ids.device},drive=${ids.node},serial=${v.serial}`,
      ];
    }
    return [
      '-blockdev',
      `driver=${v.format},node-name=${ids.node}${ro},file.driver=file,file.filename=${esc(v.path)}`,
      '-device',
      `virtio-blk-pci,id=${ids.device},drive=${ids.node},serial=${v.serial}`,
    ];
  });
}

/** Ids of the devices added to a running VM (`-device …,id=` and `device_add`). */
async function liveDevices(qmp: QmpClient): Promise<Set<string>> {
  const list = await qmp.execute<Array<{ name: string }>>('qom-list', { path: '/machine/peripheral' });
  return new Set(list.map((p) => p.name));
}

async function liveNodes(qmp: QmpClient): Promise<Set<string>> {
  const list = await qmp.execute<Array<{ 'node-name'?: string }>>('query-named-block-nodes', { flat: true });
  return new Set(list.map((n) => n['node-name'] ?? ''));
}

/**
 * `blockdev-del` once the device is gone. The device leaves the QOM tree a moment before it drops its reference on
 * the node (DEVICE_DELETED marks that), so "in use" is retried briefly.
 */
async function releaseNode(vm: VolumeVm, qmp: QmpClient, ids: { node: string; device: string }): Promise<void> {
  const deadline = vm.clock.now() + 5_000;
  for (;;) {
    if (!(await liveNodes(qmp)).has(ids.node)) return;
    try {
      await qmp.execute('blockdev-del', { 'node-name': ids.node });
      return;
    } catch (err) {
      if (vm.clock.now() >= deadline) throw err;
      await qmp.waitEvent('DEVICE_DELETED', 200, (e) => e.data?.device === ids.device);
      await vm.clock.sleep(50);
    }
  }
}

const assertLocal = (path: string) =>
  stat(path).then(
    () => undefined,
    (err: unknown) => {
      throw new BrumeError('bad_request', 'hypervisor.volume_missing', `volume file ${path} is not on this host`, {
        cause: err,
      });
    },
  );

/** Records the volumes a VM is spawned with, so its first launch plugs them (see InstanceSpec.volumes). */
export async function recordSpawnVolumes(dir: string, specs: VolumeAttachSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const volumes: AttachedVolume[] = [];
  for (const spec of specs) {
    if (!spec.nbd) await assertLocal(spec.path);
    await writePsk(dir, spec);
    volumes.push({
      volumeId: spec.volumeId,
      path: spec.path,
      format: spec.format,
      serial: volumeSerial(spec),
      readOnly: spec.readOnly === true,
      device: nextVolumeDevice(volumes.map((v) => v.device)),
      ...(spec.nbd ? { nbd: spec.nbd } : {}),
    });
  }
  await writeAttached(dir, volumes);
}

/** Attaches (see {@link HypervisorDriver.attachVolume}); returns the predicted guest device. */
export async function attachVolume(vm: VolumeVm, spec: VolumeAttachSpec): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(spec.volumeId)) {
    throw new BrumeError('bad_request', 'hypervisor.invalid_volume', `invalid volume id ${spec.volumeId}`);
  }
  const attached = await readAttached(vm.dir);
  let volume = attached.find((v) => v.volumeId === spec.volumeId);
  if (!volume) {
    if (!spec.nbd) await assertLocal(spec.path);
    volume = {
      volumeId: spec.volumeId,
      path: spec.path,
      format: spec.format,
      serial: volumeSerial(spec),
      readOnly: spec.readOnly === true,
      device: nextVolumeDevice(attached.map((v) => v.device)),
      ...(spec.nbd ? { nbd: spec.nbd } : {}),
    };
  }
  const record = volume;
  await writePsk(vm.dir, record);
  if (vm.live) {
    await vm.qmp(async (qmp) => {
      const ids = qemuIds(record.volumeId);
      if ((await liveDevices(qmp)).has(ids.device)) return;
      if (!(await liveNodes(qmp)).has(ids.node)) {
        if (record.nbd) await addTlsObject(qmp, vm.dir, record);
        await qmp.execute('blockdev-add', blockdev(vm.dir, record));
      }
      try {
        await qmp.execute('device_add', deviceArgs(record));
      } catch (err) {
        await qmp.execute('blockdev-del', { 'node-name': ids.node }).catch(() => undefined);
        throw err;
      }
    });
  }
  if (!attached.includes(record)) await writeAttached(vm.dir, [...attached, record]);
  vm.log.info({ volume: record.volumeId, device: record.device, live: vm.live }, 'volume attached');
  return record.device;
}

/** Adds the TLS-PSK client credentials of a remote volume (kept when they exist already). */
async function addTlsObject(qmp: QmpClient, dir: string, v: AttachedVolume): Promise<void> {
  if (!v.nbd) return;
  const tls = tlsOf(dir, v.volumeId);
  const objects = await qmp.execute<Array<{ name: string }>>('qom-list', { path: '/objects' });
  if (objects.some((o) => o.name === tls.id)) return;
  await qmp.execute('object-add', {
    'qom-type': 'tls-creds-psk',
    id: tls.id,
    endpoint: 'client',
    dir: tls.dir,
    username: v.nbd.pskIdentity,
  });
}

/** Detaches (see {@link HypervisorDriver.detachVolume}). */
export async function detachVolume(vm: VolumeVm, volumeId: string, timeoutMs: number): Promise<void> {
  const attached = await readAttached(vm.dir);
  const ids = qemuIds(volumeId);
  if (vm.live) {
    await vm.qmp(async (qmp) => {
      if ((await liveDevices(qmp)).has(ids.device)) {
        await qmp.execute('device_del', { id: ids.device }).catch(() => undefined);
        const deadline = vm.clock.now() + timeoutMs;
        // DEVICE_DELETED names the device; poll too, in case the event fell between connections.
        while ((await liveDevices(qmp)).has(ids.device)) {
          const left = deadline - vm.clock.now();
          if (left <= 0) {
            throw new BrumeError(
              'unavailable',
              'hypervisor.detach_timeout',
              `the guest did not release volume ${volumeId} within ${timeoutMs} ms; it stays attached`,
              { retryable: true },
            );
          }
          await qmp.waitEvent('DEVICE_DELETED', Math.min(left, 500), (e) => e.data?.device === ids.device);
        }
      }
      await releaseNode(vm, qmp, ids);
      const tls = tlsOf(vm.dir, volumeId);
      const objects = await qmp.execute<Array<{ name: string }>>('qom-list', { path: '/objects' });
      if (objects.some((o) => o.name === tls.id)) await qmp.execute('object-del', { id: tls.id });
    });
  }
  await rm(tlsOf(vm.dir, volumeId).dir, { recursive: true, force: true });
  const left = attached.filter((v) => v.volumeId !== volumeId);
  if (left.length !== attached.length) await writeAttached(vm.dir, left);
  vm.log.info({ volume: volumeId, live: vm.live }, 'volume detached');
}

/**
 * The root disk of a VM booted from a volume: the volume's file itself (it outlives the VM). A volume holding an
 * ISO boots as a CD-ROM, with an empty local disk of the flavor's size beside it (as an ISO image boots).
 */
export async function rootVolumeDisk(
  spec: VolumeAttachSpec,
  localDisk: string,
  diskGiB: number,
  qemuImg: string,
): Promise<{ rootDisk: string; rootFormat: 'raw' | 'qcow2'; cdrom?: string }> {
  if (spec.nbd) {
    throw new BrumeError(
      'bad_request',
      'hypervisor.volume_remote_root',
      `boot volume ${spec.volumeId} lives on another host; a root disk must be local`,
    );
  }
  await assertLocal(spec.path);
  if (spec.media === 'cdrom') {
    await run(qemuImg, ['create', '-q', '-f', 'qcow2', localDisk, String(Math.max(diskGiB, 1) * 1024 ** 3)]);
    return { rootDisk: localDisk, rootFormat: 'qcow2', cdrom: spec.path };
  }
  return { rootDisk: spec.path, rootFormat: spec.format };
}
