/** Snapshots: a copy of a volume's bytes taken through the backend; creating → available (or error). */
import { eq } from 'drizzle-orm';
import { badRequest } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin, projectOf } from '../api/policy.ts';
import { volumeSnapshots } from '../db/schema/volume.ts';
import type { SiteDeps } from '../services.ts';
import type { VolumeBackend } from './backend.ts';
import { assertVisible, invalidVolume, type SnapshotRow, snapshotNotFound } from './model.ts';
import type { VolumeQuotas } from './quotas.ts';
import type { Volumes } from './volumes.ts';

/** A validated snapshot create request. */
export interface CreateSnapshotInput {
  volumeId: string;
  name?: string | null;
  description?: string | null;
  force?: boolean;
  metadata?: Record<string, string>;
}

/** What the snapshot routes use. */
export type Snapshots = ReturnType<typeof snapshotRecords>;

/** Builds the snapshot records. */
export function snapshotRecords(deps: SiteDeps, backend: VolumeBackend, volumes: Volumes, quotas: VolumeQuotas) {
  const { db } = deps.db;
  const get = async (id: string) => (await db.select().from(volumeSnapshots).where(eq(volumeSnapshots.id, id)))[0];
  const patch = async (id: string, fields: Partial<SnapshotRow>) => {
    await db
      .update(volumeSnapshots)
      .set({ ...fields, updatedAt: deps.clock.now() })
      .where(eq(volumeSnapshots.id, id));
  };
  return {
    get,
    patch,
    async load(auth: AuthContext, id: string): Promise<SnapshotRow> {
      const row = await get(id);
      assertVisible(auth, row, snapshotNotFound(id));
      return row as SnapshotRow;
    },
    async list(auth: AuthContext, allProjects: boolean): Promise<SnapshotRow[]> {
      if (allProjects && isAdmin(auth)) return db.select().from(volumeSnapshots);
      return db
        .select()
        .from(volumeSnapshots)
        .where(eq(volumeSnapshots.projectId, projectOf(auth)));
    },
    async create(auth: AuthContext, input: CreateSnapshotInput): Promise<SnapshotRow> {
      const volume = await volumes.load(auth, input.volumeId);
      const ok = volume.status === 'available' || (volume.status === 'in-use' && input.force === true);
      if (!ok) {
        throw invalidVolume(
          volume.status === 'in-use'
            ? `Volume ${volume.id} status must be available, but current status is: in-use (use force to snapshot an attached volume).`
            : `Volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
        );
      }
      await quotas.reserve(volume.projectId, { snapshots: 1, gigabytes: volume.sizeGiB });
      const now = deps.clock.now();
      const row: SnapshotRow = {
        id: deps.ids.uuid(),
        projectId: volume.projectId,
        userId: auth.userId,
        volumeId: volume.id,
        name: input.name ?? null,
        description: input.description ?? null,
        sizeGiB: volume.sizeGiB,
        status: 'creating',
        metadata: input.metadata ?? {},
        path: null,
        createdAt: now,
        updatedAt: null,
      };
      await db.insert(volumeSnapshots).values(row);
      volumes.background(
        'snapshot create',
        row.id,
        async () => {
          const path = volume.path ? await backend.snapshot(volume.path, row.id) : null;
          await patch(row.id, { path, status: 'available' });
        },
        () => patch(row.id, { status: 'error' }),
      );
      return row;
    },
    async update(
      row: SnapshotRow,
      fields: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
    ) {
      await patch(row.id, fields);
      return (await get(row.id)) as SnapshotRow;
    },
    async remove(row: SnapshotRow): Promise<void> {
      if (!['available', 'error', 'error_deleting'].includes(row.status)) {
        throw badRequest(
          'volume.invalid_snapshot',
          `Invalid snapshot: Snapshot status must be available or error and must not be part of a group.`,
        );
      }
      await patch(row.id, { status: 'deleting' });
      volumes.background(
        'snapshot delete',
        row.id,
        async () => {
          if (row.path) await backend.delete(row.path);
          await db.delete(volumeSnapshots).where(eq(volumeSnapshots.id, row.id));
        },
        () => patch(row.id, { status: 'error_deleting' }),
      );
    },
  };
}
