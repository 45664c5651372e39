/**
 * The volume lifecycle at this site: rows in SQLite, bytes through the {@link VolumeBackend}. Creation, extension and
 * deletion are accepted at once (202) and finish in the background: creating → available (or error), extending →
 * available, deleting → gone. `settled()` waits for that background work (tests, shutdown).
 */
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { badRequest, isBrumeError, notFound } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin, projectOf } from '../api/policy.ts';
import { volumeAttachments, volumeSnapshots, volumes } from '../db/schema/volume.ts';
import type { ImageService, SiteDeps } from '../services.ts';
import type { VolumeBackend, VolumePlacement, VolumeSource } from './backend.ts';
import { parseHandle } from './handles.ts';
import {
  assertVisible,
  DEFAULT_TYPE,
  DELETABLE,
  invalidVolume,
  snapshotNotFound,
  VOLUME_ZONE,
  type VolumeRow,
  volumeNotFound,
} from './model.ts';
import type { VolumeQuotas } from './quotas.ts';

/** A validated create request. */
export interface CreateVolumeInput {
  size?: number;
  name?: string | null;
  description?: string | null;
  imageRef?: string;
  snapshotId?: string;
  sourceVolid?: string;
  volumeType?: string;
  availabilityZone?: string;
  metadata?: Record<string, string>;
  multiattach?: boolean;
  /** Cinder's scheduler hints: volume ids whose host the new volume shares / avoids. */
  sameHost?: string[];
  differentHost?: string[];
}

/** What the volume routes and compute use. */
export type Volumes = ReturnType<typeof volumeRecords>;

const GiB = 1024 ** 3;
/** How long a create resumed after a site restart waits for its host's agent. */
const RESUME_WAIT_MS = 5 * 60_000;

/** Builds the volume records over the site database and a backend. */
export function volumeRecords(deps: SiteDeps, backend: VolumeBackend, image: ImageService, quotas: VolumeQuotas) {
  const { db } = deps.db;
  const log = deps.log.child({ module: 'volume' });
  const zone = VOLUME_ZONE;
  const pending = new Set<Promise<void>>();
  const background = (what: string, id: string, fn: () => Promise<void>, onError: () => Promise<void>) => {
    const p = fn().catch(async (err: unknown) => {
      log.error({ err, volume: id }, `${what} failed`);
      await onError().catch(() => {});
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const get = async (id: string) => (await db.select().from(volumes).where(eq(volumes.id, id)))[0];
  const patch = async (id: string, fields: Partial<VolumeRow>) => {
    await db
      .update(volumes)
      .set({ ...fields, updatedAt: deps.clock.now() })
      .where(eq(volumes.id, id));
  };

  const records = {
    get,
    patch,
    /** The volume if `auth` may see it; 404 otherwise. */
    async load(auth: AuthContext, id: string): Promise<VolumeRow> {
      const row = await get(id);
      assertVisible(auth, row, volumeNotFound(id));
      return row as VolumeRow;
    },
    /** Volumes of the caller's project (every project for an admin asking for all_tenants). */
    async list(auth: AuthContext, allProjects: boolean): Promise<VolumeRow[]> {
      if (allProjects && isAdmin(auth)) return db.select().from(volumes);
      return db
        .select()
        .from(volumes)
        .where(eq(volumes.projectId, projectOf(auth)));
    },

    /** `opts.placement`: where the volume should go (boot volumes: the server's host), asked when it is placed. */
    async create(
      auth: AuthContext,
      input: CreateVolumeInput,
      opts: { placement?: () => Promise<VolumePlacement> } = {},
    ): Promise<VolumeRow> {
      const projectId = projectOf(auth);
      if (input.volumeType !== undefined && ![DEFAULT_TYPE.id, DEFAULT_TYPE.name].includes(input.volumeType)) {
        throw notFound('volume.type_not_found', `Volume type with name ${input.volumeType} could not be found.`);
      }
      if (input.availabilityZone !== undefined && input.availabilityZone !== zone) {
        throw badRequest(
          'volume.invalid_zone',
          `Invalid input received: Availability zone '${input.availabilityZone}' is invalid.`,
        );
      }
      let source: VolumeSource | undefined;
      let size = input.size;
      let bootable = false;
      let imageMetadata: Record<string, string> | null = null;
      if (input.snapshotId !== undefined) {
        const snap = (await db.select().from(volumeSnapshots).where(eq(volumeSnapshots.id, input.snapshotId)))[0];
        assertVisible(auth, snap, snapshotNotFound(input.snapshotId));
        if (snap?.status !== 'available' || !snap.path) {
          throw badRequest(
            'volume.invalid_snapshot',
            `Invalid snapshot: Originating snapshot status must be one of 'available' values`,
          );
        }
        size ??= snap.sizeGiB;
        if (size < snap.sizeGiB)
          throw badRequest(
            'volume.invalid_size',
            `Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${snap.sizeGiB}GB. They must be >= original snapshot size.`,
          );
        source = { path: snap.path, format: backend.format };
        const origin = await get(snap.volumeId);
        bootable = origin?.bootable ?? false;
        imageMetadata = origin?.imageMetadata ?? null;
      } else if (input.sourceVolid !== undefined) {
        const src = await get(input.sourceVolid);
        assertVisible(auth, src, volumeNotFound(input.sourceVolid));
        if (!src || !['available', 'in-use'].includes(src.status) || !src.path) {
          throw invalidVolume('Source volume status must be available or in-use.');
        }
        size ??= src.sizeGiB;
        if (size < src.sizeGiB)
          throw badRequest(
            'volume.invalid_size',
            `Invalid input received: Volume size '${size}'GB cannot be smaller than the source volume size ${src.sizeGiB}GB. They must be >= original volume size.`,
          );
        source = { path: src.path, format: backend.format };
        bootable = src.bootable;
        imageMetadata = src.imageMetadata;
      } else if (input.imageRef !== undefined) {
        const img = image.getForBoot(auth, input.imageRef);
        const minGiB = Math.max(img.min_disk, Math.ceil((img.virtual_size ?? img.size ?? 0) / GiB), 1);
        size ??= minGiB;
        if (size < minGiB) {
          throw badRequest(
            'volume.invalid_size',
            `Invalid input received: Image minDisk size ${minGiB} is larger than the volume size ${size}.`,
          );
        }
        source = {
          path: join(deps.config.dataDir, 'images', img.id),
          format: img.disk_format === 'qcow2' ? 'qcow2' : 'raw',
          // An agent host fetches it from Glance itself (through its image cache), with the caller's token.
          image: {
            id: img.id,
            diskFormat: img.disk_format ?? null,
            size: img.size ?? null,
            hash: img.os_hash_value ?? null,
            url: image.fileUrl(img.id),
            ...(auth.token ? { token: auth.token } : {}),
          },
        };
        bootable = true;
        imageMetadata = {
          image_id: img.id,
          image_name: img.name ?? '',
          disk_format: img.disk_format ?? '',
          container_format: img.container_format ?? '',
          min_disk: String(img.min_disk),
          min_ram: String(img.min_ram),
          size: String(img.size ?? 0),
        };
      }
      if (size === undefined) throw badRequest('volume.invalid_size', 'Invalid input received: size is required.');
      const hinted = async (ids: string[] | undefined) => {
        if (!ids?.length) return undefined;
        const hosts: string[] = [];
        for (const id of ids) {
          const other = await get(id);
          assertVisible(auth, other, volumeNotFound(id));
          const host = parseHandle(other?.path)?.host;
          if (host) hosts.push(host);
        }
        return hosts;
      };
      const only = await hinted(input.sameHost);
      const avoid = await hinted(input.differentHost);
      const placement = async (): Promise<VolumePlacement> => ({
        ...(opts.placement ? await opts.placement() : {}),
        ...(only ? { only } : {}),
        ...(avoid ? { avoid } : {}),
      });
      await quotas.reserve(projectId, { volumes: 1, gigabytes: size });
      const now = deps.clock.now();
      const row: VolumeRow = {
        id: deps.ids.uuid(),
        projectId,
        userId: auth.userId,
        name: input.name ?? null,
        description: input.description ?? null,
        sizeGiB: size,
        status: 'creating',
        attachStatus: 'detached',
        availabilityZone: zone,
        volumeType: DEFAULT_TYPE.name,
        bootable,
        readonly: false,
        multiattach: input.multiattach ?? false,
        metadata: input.metadata ?? {},
        imageMetadata,
        snapshotId: input.snapshotId ?? null,
        sourceVolid: input.sourceVolid ?? null,
        path: null,
        createdAt: now,
        updatedAt: null,
      };
      await db.insert(volumes).values(row);
      background(
        'volume create',
        row.id,
        async () => {
          const path = await backend.create(row.id, size, source, placement);
          await patch(row.id, { path, status: 'available' });
        },
        () => patch(row.id, { status: 'error' }),
      );
      return row;
    },

    async update(
      row: VolumeRow,
      fields: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
    ) {
      await patch(row.id, fields);
      return (await get(row.id)) as VolumeRow;
    },

    /** Cinder's delete rules; `cascade` also deletes the volume's snapshots. */
    async remove(row: VolumeRow, opts: { cascade?: boolean; force?: boolean } = {}): Promise<void> {
      const attached = await db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, row.id));
      const snaps = await db.select().from(volumeSnapshots).where(eq(volumeSnapshots.volumeId, row.id));
      const okStatus = opts.force === true || DELETABLE.has(row.status);
      if (!okStatus || attached.length > 0 || (snaps.length > 0 && !opts.cascade)) {
        throw invalidVolume(
          'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.',
        );
      }
      await patch(row.id, { status: 'deleting' });
      for (const s of snaps) {
        await db.update(volumeSnapshots).set({ status: 'deleting' }).where(eq(volumeSnapshots.id, s.id));
      }
      background(
        'volume delete',
        row.id,
        async () => {
          for (const s of snaps) {
            if (s.path) await backend.delete(s.path);
            await db.delete(volumeSnapshots).where(eq(volumeSnapshots.id, s.id));
          }
          if (row.path) await backend.delete(row.path);
          await db.delete(volumes).where(eq(volumes.id, row.id));
        },
        () => patch(row.id, { status: 'error_deleting' }),
      );
    },

    /** os-extend: available → extending → available (error_extending on failure). */
    async extend(row: VolumeRow, newSize: number): Promise<void> {
      if (row.status !== 'available' && row.status !== 'in-use') {
        throw invalidVolume(`Volume status must be 'available' or 'in-use' to extend, currently in '${row.status}'.`);
      }
      if (!Number.isInteger(newSize) || newSize <= row.sizeGiB) {
        throw badRequest(
          'volume.invalid_size',
          `Invalid input received: New size for extend must be greater than current size. (current: ${row.sizeGiB}, extended: ${newSize}).`,
        );
      }
      await quotas.reserve(row.projectId, { gigabytes: newSize - row.sizeGiB });
      const previous = row.status;
      await patch(row.id, { status: 'extending' });
      background(
        'volume extend',
        row.id,
        async () => {
          if (row.path) await backend.extend(row.path, newSize);
          await patch(row.id, { sizeGiB: newSize, status: previous });
        },
        () => patch(row.id, { status: 'error_extending' }),
      );
    },

    /**
     * After a site restart, the background work of creates and deletes is gone. A create placed on an agent host
     * is resent there with the same request id (the agent answers from its durable record, or finishes the
     * idempotent create); one never placed, or from an image (the caller's token is gone), turns `error`. A delete
     * is resent (deleting is idempotent).
     */
    async recoverInterrupted(): Promise<void> {
      for (const row of await db.select().from(volumes)) {
        if (row.status === 'deleting') {
          await patch(row.id, { status: 'available' });
          await records.remove({ ...row, status: 'available' }, { cascade: true }).catch(async (err: unknown) => {
            log.warn({ err, volume: row.id }, 'interrupted delete not resumed');
            await patch(row.id, { status: 'error_deleting' });
          });
          continue;
        }
        if (row.status !== 'creating') continue;
        const host = parseHandle(row.path)?.host;
        const from = row.snapshotId
          ? (await db.select().from(volumeSnapshots).where(eq(volumeSnapshots.id, row.snapshotId)))[0]?.path
          : row.sourceVolid
            ? (await get(row.sourceVolid))?.path
            : undefined;
        const sourced = row.snapshotId !== null || row.sourceVolid !== null;
        if (!host || (row.imageMetadata && !sourced) || (sourced && !from)) {
          log.warn({ volume: row.id }, 'create interrupted by a site restart: error');
          await patch(row.id, { status: 'error' });
          continue;
        }
        log.info({ volume: row.id, host }, 'resuming an interrupted create');
        background(
          'volume create',
          row.id,
          async () => {
            const source = from ? { path: from, format: backend.format } : undefined;
            // The host's agent may not be back yet: retried while it is unavailable, for a few minutes.
            const deadline = deps.clock.now() + RESUME_WAIT_MS;
            for (;;) {
              try {
                const path = await backend.create(row.id, row.sizeGiB, source, { only: [host] });
                await patch(row.id, { path, status: 'available' });
                return;
              } catch (err) {
                const retry = isBrumeError(err) && err.kind === 'unavailable' && deps.clock.now() < deadline;
                if (!retry) throw err;
                await deps.clock.sleep(2_000);
              }
            }
          },
          () => patch(row.id, { status: 'error' }),
        );
      }
    },

    /** Tracks background work started elsewhere (snapshots, uploads). */
    background,
    /** Resolves when every background operation has finished. */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
  return records;
}
