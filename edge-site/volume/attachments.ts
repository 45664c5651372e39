/**
 * Attachments of volumes to servers and the statuses around them: available → attaching → in-use → detaching →
 * available. The record is what the APIs show; telling a hypervisor to hot-plug the disk is the optional `hotplug`
 * hook (agent-hotplug.ts over the fleet). A failed plug puts the volume back where it was (the reason is logged);
 * a failed unplug (the guest held on) leaves it in-use.
 */
import { and, eq } from 'drizzle-orm';
import { badRequest, notFound } from '../../shared/errors.ts';
import { volumeAttachments } from '../db/schema/volume.ts';
import type { SiteDeps } from '../services.ts';
import { type AttachmentRow, invalidVolume, type VolumeRow } from './model.ts';
import type { Volumes } from './volumes.ts';

/** Tells a host to plug/unplug a volume's disk into a server. Optional. */
export interface VolumeHotplug {
  /** Resolves with the guest device the host predicts (when it knows better than the site's guess). */
  attach(input: {
    host: string;
    serverId: string;
    volumeId: string;
    path: string;
    device: string;
    attachmentId: string;
    readOnly: boolean;
  }): Promise<string | undefined>;
  /** `requestId` is new per detach request, so a retry after a failed unplug is a new command. */
  detach(input: {
    host: string;
    serverId: string;
    volumeId: string;
    device: string;
    attachmentId: string;
    requestId: string;
    /** The volume's handle (to stop its export when it lives on another host). */
    path?: string | null;
  }): Promise<void>;
  /** Optional: frees what the attachment held besides the plug (a deleted server's export of a remote volume). */
  release?(input: { host: string; volumeId: string; path: string; attachmentId: string }): Promise<void>;
}

/** What the attachment operations use. */
export type Attachments = ReturnType<typeof attachmentRecords>;

/** Builds the attachment records. */
export function attachmentRecords(deps: SiteDeps, volumes: Volumes, hotplug?: VolumeHotplug) {
  const { db } = deps.db;
  const ofVolume = (volumeId: string) =>
    db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, volumeId));
  const ofServer = (serverId: string) =>
    db.select().from(volumeAttachments).where(eq(volumeAttachments.serverId, serverId));

  /**
   * The first free `/dev/vdX` of a server: vda is the root disk and vdb the config drive (a virtio disk here), so
   * the guest names the first volume vdc — the same guess the hypervisor makes.
   */
  const nextDevice = async (serverId: string) => {
    const used = new Set((await ofServer(serverId)).map((a) => a.device));
    for (let i = 2; i < 26; i++) {
      const d = `/dev/vd${String.fromCharCode(97 + i)}`;
      if (!used.has(d)) return d;
    }
    throw badRequest('volume.no_free_device', 'No free device name left on the server.');
  };

  return {
    ofVolume,
    ofServer,
    /** os-reserve: available → attaching. */
    async reserve(v: VolumeRow) {
      if (v.status !== 'available')
        throw invalidVolume(`Volume status must be available to reserve, but the status is ${v.status}.`);
      await volumes.patch(v.id, { status: 'attaching' });
    },
    /** os-unreserve: attaching → available (when nothing is attached). */
    async unreserve(v: VolumeRow) {
      if (v.status !== 'attaching') return;
      const n = (await ofVolume(v.id)).length;
      await volumes.patch(v.id, { status: n > 0 ? 'in-use' : 'available' });
    },
    /** os-begin_detaching: in-use → detaching. */
    async beginDetaching(v: VolumeRow) {
      if (v.status !== 'in-use')
        throw invalidVolume(`Volume status must be in-use to begin detaching, but the status is ${v.status}.`);
      await volumes.patch(v.id, { status: 'detaching' });
    },
    /** os-roll_detaching: detaching → in-use. */
    async rollDetaching(v: VolumeRow) {
      if (v.status === 'detaching') await volumes.patch(v.id, { status: 'in-use' });
    },
    /**
     * Attaches `v` to a server: 400 unless available (or reserved by the caller), 400 when already attached to
     * that server. Resolves once the record exists; the volume turns in-use when the host has plugged it.
     */
    async attach(
      v: VolumeRow,
      target: { serverId: string; host: string | null; device?: string | null; mode?: string },
    ): Promise<AttachmentRow> {
      if (v.status !== 'available' && v.status !== 'attaching' && !(v.multiattach && v.status === 'in-use')) {
        throw invalidVolume(
          `Volume ${v.id} status must be available or reserved to attach, but the status is ${v.status}.`,
        );
      }
      const existing = await ofVolume(v.id);
      if (existing.some((a) => a.serverId === target.serverId)) {
        throw badRequest(
          'volume.already_attached',
          `Invalid volume: Volume ${v.id} is already attached to the server ${target.serverId}.`,
        );
      }
      const row: AttachmentRow = {
        id: deps.ids.uuid(),
        volumeId: v.id,
        serverId: target.serverId,
        hostName: target.host,
        device: target.device ?? (await nextDevice(target.serverId)),
        status: 'attaching',
        attachedAt: null,
        deleteOnTermination: false,
        bootIndex: null,
      };
      await db.insert(volumeAttachments).values(row);
      await volumes.patch(v.id, { status: 'attaching', readonly: target.mode === 'ro' ? true : v.readonly });
      volumes.background(
        'volume attach',
        v.id,
        async () => {
          if (hotplug && target.host && v.path) {
            const predicted = await hotplug.attach({
              host: target.host,
              serverId: target.serverId,
              volumeId: v.id,
              path: v.path,
              device: row.device ?? '',
              attachmentId: row.id,
              readOnly: target.mode === 'ro' || v.readonly,
            });
            // The API keeps the name it answered with (clients compare); a different guest guess is only logged.
            if (predicted && predicted !== row.device) {
              deps.log.info({ volume: v.id, device: row.device, predicted }, 'guest device differs from the API');
            }
          }
          const at = deps.clock.now();
          await db
            .update(volumeAttachments)
            .set({ status: 'attached', attachedAt: at })
            .where(eq(volumeAttachments.id, row.id));
          await volumes.patch(v.id, { status: 'in-use', attachStatus: 'attached' });
        },
        async () => {
          await db.delete(volumeAttachments).where(eq(volumeAttachments.id, row.id));
          await volumes.patch(v.id, { status: existing.length > 0 ? 'in-use' : 'available' });
        },
      );
      return row;
    },
    /** Detaches `v` from `serverId` (or from its only server): the volume is available again when unplugged. */
    async detach(v: VolumeRow, serverId?: string, attachmentId?: string): Promise<void> {
      const all = await ofVolume(v.id);
      const a = all.find((x) => (attachmentId ? x.id === attachmentId : serverId ? x.serverId === serverId : true));
      if (!a) {
        // Cinder's os-detach of a volume attached nowhere is a no-op (a reserved one is released).
        if (!serverId && !attachmentId) {
          if (['attaching', 'detaching'].includes(v.status)) {
            await volumes.patch(v.id, { status: 'available', attachStatus: 'detached' });
          }
          return;
        }
        throw notFound(
          'volume.attachment_not_found',
          `Volume ${v.id} is not attached${serverId ? ` to server ${serverId}` : ''}.`,
        );
      }
      if (a.bootIndex === 0) {
        throw badRequest('volume.root_detach', `Can't detach root device volume ${v.id} of server ${a.serverId}.`);
      }
      await db
        .update(volumeAttachments)
        .set({ status: 'detaching' })
        .where(and(eq(volumeAttachments.id, a.id)));
      await volumes.patch(v.id, { status: 'detaching' });
      volumes.background(
        'volume detach',
        v.id,
        async () => {
          if (hotplug && a.hostName && a.serverId && a.bootIndex !== 0) {
            await hotplug.detach({
              host: a.hostName,
              serverId: a.serverId,
              volumeId: v.id,
              device: a.device ?? '',
              attachmentId: a.id,
              requestId: deps.ids.uuid(),
              path: v.path,
            });
          }
          await db.delete(volumeAttachments).where(eq(volumeAttachments.id, a.id));
          const left = all.length - 1;
          await volumes.patch(v.id, {
            status: left > 0 ? 'in-use' : 'available',
            attachStatus: left > 0 ? 'attached' : 'detached',
          });
        },
        async () => {
          await db.update(volumeAttachments).set({ status: 'attached' }).where(eq(volumeAttachments.id, a.id));
          await volumes.patch(v.id, { status: 'in-use' });
        },
      );
    },
    /**
     * Forgets every attachment of a deleted server (its VM, and so the plugged disks, are gone already, or its host
     * is unreachable): the volumes turn available, and those marked delete_on_termination are deleted.
     */
    async releaseServer(serverId: string): Promise<void> {
      for (const a of await ofServer(serverId)) {
        await db.delete(volumeAttachments).where(eq(volumeAttachments.id, a.id));
        const v = await volumes.get(a.volumeId);
        if (!v) continue;
        if (hotplug?.release && a.hostName && v.path) {
          await hotplug
            .release({ host: a.hostName, volumeId: v.id, path: v.path, attachmentId: a.id })
            .catch((err: unknown) => deps.log.warn({ err, volume: v.id }, 'volume export not stopped'));
        }
        const left = (await ofVolume(v.id)).length;
        await volumes.patch(v.id, {
          status: left > 0 ? 'in-use' : 'available',
          attachStatus: left > 0 ? 'attached' : 'detached',
        });
        if (a.deleteOnTermination && left === 0) {
          await volumes.remove({ ...v, status: 'available' }, { cascade: true }).catch((err: unknown) => {
            deps.log.warn({ err, volume: v.id }, 'delete_on_termination: volume not deleted');
          });
        }
      }
    },
    /**
     * Records a volume as a disk a server boots with (block device mapping): in-use at once, no hot-plug (the disk
     * is part of the spawn). The volume must be available.
     */
    async attachForBoot(
      v: VolumeRow,
      target: { serverId: string; bootIndex: number | null; deleteOnTermination: boolean; device: string },
      opts: { creating?: boolean } = {},
    ): Promise<AttachmentRow> {
      if (!opts.creating && v.status !== 'available') {
        throw invalidVolume(`Volume ${v.id} status must be available to boot from, but the status is ${v.status}.`);
      }
      const row: AttachmentRow = {
        id: deps.ids.uuid(),
        volumeId: v.id,
        serverId: target.serverId,
        hostName: null,
        device: target.device,
        status: 'attached',
        attachedAt: deps.clock.now(),
        deleteOnTermination: target.deleteOnTermination,
        bootIndex: target.bootIndex,
      };
      await db.insert(volumeAttachments).values(row);
      // A volume still being created turns in-use when the build takes it (boot.ts).
      if (!opts.creating) await volumes.patch(v.id, { status: 'in-use', attachStatus: 'attached' });
      return row;
    },
    /**
     * After a site restart: plugs and unplugs that were under way are gone with their background work. An attach
     * is dropped (the volume is free again; a retry is a new attach), a detach is rolled back (still in-use).
     */
    async recoverInterrupted(): Promise<void> {
      const all = await db.select().from(volumeAttachments);
      for (const a of all.filter((x) => x.status === 'attaching' || x.status === 'detaching')) {
        if (a.status === 'attaching') await db.delete(volumeAttachments).where(eq(volumeAttachments.id, a.id));
        else await db.update(volumeAttachments).set({ status: 'attached' }).where(eq(volumeAttachments.id, a.id));
        const left = (await ofVolume(a.volumeId)).length;
        await volumes.patch(a.volumeId, {
          status: left > 0 ? 'in-use' : 'available',
          attachStatus: left > 0 ? 'attached' : 'detached',
        });
        deps.log.warn({ volume: a.volumeId, server: a.serverId }, `interrupted ${a.status} recovered`);
      }
    },
    /** Records the host a server landed on for its boot-time attachments. */
    async setHost(serverId: string, host: string | null): Promise<void> {
      await db.update(volumeAttachments).set({ hostName: host }).where(eq(volumeAttachments.serverId, serverId));
    },
  };
}
