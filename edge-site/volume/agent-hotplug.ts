/**
 * The {@link VolumeHotplug} hook over the site's fleet: `attach_volume`/`detach_volume` commands to the agent of the
 * server's host. Request ids derive from the attachment id, so a command resent after a timeout or a site restart
 * runs at most once on the agent.
 *
 * Where the bytes live: the file backend keeps volumes under the site's data folder and the agent opens that path,
 * which holds when agents run on the site's machine (`npm start`, tests) or share its storage. A host with its own
 * storage would need the bytes moved to it first (not done yet).
 */
import type { Fleet } from '../services.ts';
import type { VolumeHotplug } from './attachments.ts';

/** How long the guest gets to release a disk before a detach fails (Nova waits about as long). */
export const DETACH_TIMEOUT_MS = 30_000;

/** Builds the hook; `format` is the backend's file format (what the hypervisor opens). */
export function fleetVolumeHotplug(fleet: Fleet, format: 'raw' | 'qcow2'): VolumeHotplug {
  return {
    async attach({ host, serverId, volumeId, path, attachmentId, readOnly }) {
      const result = await fleet.send<{ device?: string } | null>(
        host,
        {
          op: 'attach_volume',
          instanceId: serverId,
          volume: { volumeId, path, format, ...(readOnly ? { readOnly: true } : {}) },
        },
        { requestId: `${serverId}:attach_volume:${attachmentId}`, timeoutMs: 60_000 },
      );
      return result?.device;
    },
    async detach({ host, serverId, volumeId, attachmentId }) {
      await fleet.send(
        host,
        { op: 'detach_volume', instanceId: serverId, volumeId, timeoutMs: DETACH_TIMEOUT_MS },
        { requestId: `${serverId}:detach_volume:${attachmentId}`, timeoutMs: DETACH_TIMEOUT_MS + 30_000 },
      );
    },
  };
}
