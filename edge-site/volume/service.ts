/** The volume module's face to compute: attachments of servers. */
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
