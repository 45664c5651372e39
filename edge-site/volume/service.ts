/** The volume module's face to compute: attachments of servers. */

import { badRequest, conflict, isBrumeError, notFound } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { ImageBlockDevice, ServerVolumeAttachment, VolumeService } from '../services.ts';
import type { Attachments } from './attachments.ts';
import type { bootVolumes } from './boot.ts';
import type { AttachmentRow } from './model.ts';
import type { Snapshots } from './snapshots.ts';
import type { Volumes } from './volumes.ts';

/** How long createImage waits for the snapshots of a volume-backed server. */
const SNAPSHOT_WAIT_MS = 120_000;

const view = (a: AttachmentRow): ServerVolumeAttachment => ({
  attachmentId: a.id,
  volumeId: a.volumeId,
  serverId: a.serverId ?? '',
  device: a.device,
  deleteOnTermination: a.deleteOnTermination,
});

/** Builds the {@link VolumeService}. */
export function volumeService(
  volumes: Volumes,
  attachments: Attachments,
  boot: ReturnType<typeof bootVolumes>,
  snapshots: Snapshots,
  clock: Clock,
): VolumeService {
  return {
    prepareBootVolumes: (auth, serverId, requests) => boot.prepare(auth, serverId, requests),
    bootDisks: (serverId, host) => boot.disks(serverId, host),
    releaseServer: (serverId) => attachments.releaseServer(serverId),
    async swapOnServer(auth, serverId, oldVolumeId, newVolumeId) {
      await volumes.load(auth, newVolumeId).catch((err: unknown) => {
        if (isBrumeError(err) && err.kind === 'not_found') {
          throw badRequest('compute.invalid_volume', `Invalid volume: volume ${newVolumeId} could not be found.`);
        }
        throw err;
      });
      if (!(await attachments.ofServer(serverId)).some((a) => a.volumeId === oldVolumeId)) {
        throw notFound('compute.volume_bdm_not_found', `Volume ${oldVolumeId} is not attached to the instance.`);
      }
      throw conflict('compute.swap_not_supported', 'Swapping attached volumes is not supported at this site.');
    },
    async snapshotServerVolumes(auth, serverId, name) {
      const mapped = (await attachments.ofServer(serverId))
        .filter((a) => a.bootIndex !== null)
        .sort((a, b) => (a.bootIndex ?? 99) - (b.bootIndex ?? 99));
      if (!mapped.some((a) => a.bootIndex === 0)) return [];
      const out: ImageBlockDevice[] = [];
      for (const a of mapped) {
        const v = await volumes.load(auth, a.volumeId);
        const snap = await snapshots.create(auth, { volumeId: v.id, name: `snapshot for ${name}`, force: true });
        // Nova's image is usable at once: the copy must exist before the image points at it.
        const deadline = clock.now() + SNAPSHOT_WAIT_MS;
        let status = snap.status;
        while (status === 'creating' && clock.now() < deadline) {
          await clock.sleep(50);
          status = (await snapshots.get(snap.id))?.status ?? 'error';
        }
        if (status !== 'available') {
          throw conflict('compute.snapshot_failed', `Snapshot ${snap.id} of volume ${v.id} is ${status}.`);
        }
        out.push({
          snapshotId: snap.id,
          sizeGiB: v.sizeGiB,
          bootIndex: a.bootIndex === -1 ? null : a.bootIndex,
          deviceName: a.device,
          deleteOnTermination: a.deleteOnTermination,
          imageMetadata: v.imageMetadata,
        });
      }
      return out;
    },
    async attachmentsOfServer(serverId) {
      return (await attachments.ofServer(serverId)).map(view);
    },
    async attachToServer(auth, volumeId, server, device) {
      const v = await volumes.load(auth, volumeId);
      return view(await attachments.attach(v, { serverId: server.id, host: server.host, device: device ?? null }));
    },
    async detachFromServer(auth, volumeId, serverId) {
      const v = await volumes.load(auth, volumeId);
      await attachments.detach(v, serverId);
    },
  };
}
