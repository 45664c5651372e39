/**
 * Guest device names of hot-plugged volumes, shared by the drivers. Linux names virtio disks by probe order with the
 * lowest free index, so with the root disk (vda) and the config drive (vdb) present, the next volume is the lowest
 * free letter from vdc on. A prediction, as Nova's is: the guest decides.
 */
import { badRequest } from '../../shared/errors.ts';
import type { VolumeAttachSpec } from '../../shared/schemas/agent-protocol.ts';

/** Devices every VM has before any volume: the root disk and the config drive. */
const RESERVED = ['/dev/vda', '/dev/vdb'];

/** The lowest free `/dev/vdX` given the devices in use. */
export function nextVolumeDevice(used: Iterable<string>): string {
  const taken = new Set([...RESERVED, ...used]);
  for (let i = 0; i < 26; i++) {
    const device = `/dev/vd${String.fromCharCode(97 + i)}`;
    if (!taken.has(device)) return device;
  }
  throw badRequest('hypervisor.no_free_device', 'No free virtio disk name left on this VM.');
}

/** The serial the guest sees: the given one, else the volume id cut to 20 characters (Nova's rule). */
export function volumeSerial(volume: Pick<VolumeAttachSpec, 'volumeId' | 'serial'>): string {
  return (volume.serial ?? volume.volumeId).slice(0, 20);
}
