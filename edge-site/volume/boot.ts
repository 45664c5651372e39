/**
 * Volumes a server boots with (Nova's block device mappings with destination `volume`): recorded when the server is
 * created — an existing volume is taken at once, a volume from an image, snapshot or nothing (blank) is created —
 * and handed to the build as the root disk once it is available. The records are attachments with a boot index, so
 * deleting the server releases them (deleting those marked delete_on_termination).
 */
import { badRequest, isBrumeError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { VolumeAttachSpec } from '../../shared/schemas/agent-protocol.ts';
import type { AuthContext } from '../api/env.ts';
import type { BootVolumeRequest } from '../services.ts';
import type { VolumeAccess } from './access.ts';
import type { Attachments } from './attachments.ts';
import type { Volumes } from './volumes.ts';

/** How long a build waits for a boot volume being created (an image copy) before failing. */
const CREATE_WAIT_MS = 10 * 60_000;
/** How long a new boot volume waits for its server's host before being placed without it. */
const HOST_WAIT_MS = 5 * 60_000;

const invalidBdm = (reason: string) => badRequest('compute.invalid_bdm', `Block Device Mapping is Invalid: ${reason}`);

/** Builds the boot-volume operations. */
export function bootVolumes(
  volumes: Volumes,
  attachments: Attachments,
  clock: Clock,
  access: VolumeAccess,
  relocate?: (handle: string, host: string, sizeGiB: number) => Promise<string | null>,
) {
  /** Device names: the root disk is vda; vdb is the config drive, so the others follow from vdc. */
  const deviceOf = (extra: number) => `/dev/vd${String.fromCharCode(99 + Math.min(extra, 23))}`;

  /**
   * The host the server lands on, once the build knows it (disks() records it): a boot volume is placed there, so
   * its root disk is a local file. Without one in time (or when the server is gone) the volume is placed as any.
   */
  const serverHost = async (serverId: string): Promise<{ prefer?: string }> => {
    const start = clock.now();
    let seen = false;
    for (;;) {
      const rows = await attachments.ofServer(serverId);
      const host = rows.find((a) => a.hostName)?.hostName;
      if (host) return { prefer: host };
      seen ||= rows.length > 0;
      // Gone (the build failed and released it), never recorded, or too long: placed as any volume.
      const waited = clock.now() - start;
      if ((seen && rows.length === 0) || (!seen && waited > 5_000) || waited > HOST_WAIT_MS) return {};
      await clock.sleep(100);
    }
  };

  return {
    /** Records the server's block device mappings; 400 (nothing recorded) when one cannot be honoured. */
    async prepare(auth: AuthContext, serverId: string, requests: BootVolumeRequest[]): Promise<void> {
      const sorted = [...requests].sort((a, b) => (a.bootIndex ?? 99) - (b.bootIndex ?? 99));
      // Existing volumes first checked, so a bad one fails the request before anything is created.
      for (const r of sorted) {
        if (r.source !== 'volume') continue;
        const v = await volumes.load(auth, r.uuid ?? '').catch((err: unknown) => {
          if (isBrumeError(err) && err.kind === 'not_found') throw invalidBdm(`failed to get volume ${r.uuid}.`);
          throw err;
        });
        if (r.bootIndex === 0 && !v.bootable) {
          throw invalidBdm(`Block Device ${v.id} is not bootable.`);
        }
        if (v.status !== 'available') {
          throw badRequest(
            'compute.invalid_volume',
            `Invalid volume: volume ${v.id} status must be 'available'. Currently in '${v.status}'`,
          );
        }
      }
      const created: string[] = [];
      try {
        let extra = 0;
        for (const r of sorted) {
          const target = {
            serverId,
            // -1 marks a mapped volume that is not the root (null is for hot-plugged ones).
            bootIndex: r.bootIndex ?? -1,
            deleteOnTermination: r.deleteOnTermination,
            device: r.bootIndex === 0 ? '/dev/vda' : deviceOf(extra++),
          };
          if (r.source === 'volume') {
            await attachments.attachForBoot(await volumes.load(auth, r.uuid ?? ''), target);
            continue;
          }
          if (r.source === 'blank' && r.sizeGiB === undefined) throw invalidBdm('a blank volume needs volume_size.');
          const v = await volumes.create(
            auth,
            {
              ...(r.sizeGiB !== undefined ? { size: r.sizeGiB } : {}),
              ...(r.source === 'image' ? { imageRef: r.uuid ?? '' } : {}),
              ...(r.source === 'snapshot' ? { snapshotId: r.uuid ?? '' } : {}),
            },
            { placement: () => serverHost(serverId) },
          );
          created.push(v.id);
          await attachments.attachForBoot(v, target, { creating: true });
        }
      } catch (err) {
        await attachments.releaseServer(serverId);
        for (const id of created) {
          await volumes.settled();
          const v = await volumes.get(id);
          if (v) await volumes.remove(v, { force: true }).catch(() => undefined);
        }
        if (isBrumeError(err) && err.kind === 'not_found') throw invalidBdm(err.message);
        throw err;
      }
    },

    /** Whether the server boots from a volume (its image is then not needed). */
    async hasRoot(serverId: string): Promise<boolean> {
      return (await attachments.ofServer(serverId)).some((a) => a.bootIndex === 0);
    },

    /**
     * Waits until the server's mapped volumes exist (created ones turn in-use), records its host, and returns the
     * root disk to boot (null when the server boots from an image) and the other disks to attach at spawn.
     */
    async disks(
      serverId: string,
      host: string | null,
    ): Promise<{ root: VolumeAttachSpec | null; others: VolumeAttachSpec[] }> {
      const boot = (await attachments.ofServer(serverId))
        .filter((a) => a.bootIndex !== null)
        .sort((a, b) => (a.device ?? '').localeCompare(b.device ?? ''));
      const others: VolumeAttachSpec[] = [];
      if (boot.length === 0) return { root: null, others };
      await attachments.setHost(serverId, host);
      const deadline = clock.now() + CREATE_WAIT_MS;
      let root: VolumeAttachSpec | null = null;
      for (const a of boot) {
        let v = await volumes.get(a.volumeId);
        while (v?.status === 'creating' || v?.status === 'downloading') {
          if (clock.now() > deadline) throw new Error(`Volume ${a.volumeId} did not become available in time.`);
          await clock.sleep(250);
          v = await volumes.get(a.volumeId);
        }
        if (!v?.path || (v.status !== 'available' && v.status !== 'in-use')) {
          throw new Error(`Volume ${a.volumeId} cannot be used to boot: its status is ${v?.status ?? 'deleted'}.`);
        }
        if (v.status === 'available') await volumes.patch(v.id, { status: 'in-use', attachStatus: 'attached' });
        // A root disk must be local to its server: a root volume kept by another host moves to the server's host.
        let path = v.path;
        if (a.bootIndex === 0 && host && relocate) {
          const moved = await relocate(path, host, v.sizeGiB);
          if (moved && moved !== path) {
            await volumes.patch(v.id, { path: moved });
            path = moved;
          }
        }
        const iso = v.imageMetadata?.disk_format === 'iso';
        const disk: VolumeAttachSpec = {
          ...(await access.diskFor({ host: host ?? '', volumeId: v.id, handle: path, attachmentId: a.id })),
          ...(iso ? { media: 'cdrom' } : {}),
        };
        if (a.bootIndex === 0) root = disk;
        else others.push(disk);
      }
      return { root, others };
    },
  };
}
