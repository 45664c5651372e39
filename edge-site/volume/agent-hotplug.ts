/**
 * The {@link VolumeHotplug} hook over the site's fleet: `attach_volume`/`detach_volume` commands to the agent of the
 * server's host. Request ids derive from the attachment id, so a command resent after a timeout or a site restart
 * runs at most once on the agent. The disk is the volume's file when it lives on the server's host, else an NBD
 * export by its own host (access.ts), stopped after the unplug.
 */
import type { Fleet } from '../services.ts';
import type { VolumeAccess } from './access.ts';
import type { VolumeHotplug } from './attachments.ts';

/** How long the guest gets to release a disk before a detach fails (Nova waits about as long). */
export const DETACH_TIMEOUT_MS = 30_000;

/** Builds the hook. */
export function fleetVolumeHotplug(fleet: Fleet, access: VolumeAccess): VolumeHotplug {
  return {
    async attach({ host, serverId, volumeId, path, attachmentId, readOnly }) {
      const volume = await access.diskFor({ host, volumeId, handle: path, attachmentId, readOnly });
      try {
        const result = await fleet.send<{ device?: string } | null>(
          host,
          { op: 'attach_volume', instanceId: serverId, volume },
          { requestId: `${serverId}:attach_volume:${attachmentId}`, timeoutMs: 60_000 },
        );
        return result?.device;
      } catch (err) {
        await access.release({ host, volumeId, handle: path, attachmentId }).catch(() => undefined);
        throw err;
      }
    },
    async detach({ host, serverId, volumeId, attachmentId, path }) {
      await fleet.send(
        host,
        { op: 'detach_volume', instanceId: serverId, volumeId, timeoutMs: DETACH_TIMEOUT_MS },
        { requestId: `${serverId}:detach_volume:${attachmentId}`, timeoutMs: DETACH_TIMEOUT_MS + 30_000 },
      );
      if (path) await access.release({ host, volumeId, handle: path, attachmentId });
    },
    release: ({ host, volumeId, path, attachmentId }) => access.release({ host, volumeId, handle: path, attachmentId }),
  };
}
