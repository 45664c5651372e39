/** The volume module's face to compute: attachments of servers. */

import { badRequest, conflict, isBrumeError, notFound } from '../../shared/errors.ts';
import type { ServerVolumeAttachment, VolumeService } from '../services.ts';
import type { Attachments } from './attachments.ts';
import type { bootVolumes } from './boot.ts';
import type { AttachmentRow } from './model.ts';
import type { Volumes } from './volumes.ts';

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
