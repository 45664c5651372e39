/** Volume records, statuses and the small helpers every volume file shares. */
import { type BrumeError, badRequest, notFound } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import { canSeeProject } from '../api/policy.ts';
import type { volumeAttachments, volumeSnapshots, volumes } from '../db/schema/volume.ts';

/** A volume row. */
export type VolumeRow = typeof volumes.$inferSelect;
/** A snapshot row. */
export type SnapshotRow = typeof volumeSnapshots.$inferSelect;
/** An attachment row. */
export type AttachmentRow = typeof volumeAttachments.$inferSelect;

/** Cinder's volume statuses (the ones this site uses). */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'reserved',
  'attaching',
  'in-use',
  'detaching',
  'extending',
  'deleting',
  'downloading',
  'uploading',
  'error',
  'error_deleting',
  'error_extending',
  'maintenance',
] as const;

/** Statuses from which a volume may be deleted (Cinder's rule). */
export const DELETABLE = new Set(['available', 'error', 'error_restoring', 'error_extending', 'error_managing']);

/** The storage availability zone of a site (Cinder's default). */
export const VOLUME_ZONE = 'nova';

/** The one volume type: Cinder's default type, with a fixed id. */
export const DEFAULT_TYPE: { readonly id: string; readonly name: string } = {
  id: '6bb1a3fa-2f1f-4b4a-9a4c-8a2f5c1d0001',
  name: '__DEFAULT__',
};

/** Default per-project limits (Cinder's defaults). */
export const DEFAULT_QUOTAS = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  per_volume_gigabytes: -1,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
} as const;

/** Cinder's timestamp format (microseconds, no zone). */
export function isoMicro(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/** 404 in Cinder's words. */
export function volumeNotFound(id: string): BrumeError {
  return notFound('volume.not_found', `Volume ${id} could not be found.`);
}

/** 404 for a snapshot. */
export function snapshotNotFound(id: string): BrumeError {
  return notFound('volume.snapshot_not_found', `Snapshot ${id} could not be found.`);
}

/** Throws the 404 unless `auth` may see a row of `projectId`. */
export function assertVisible(auth: AuthContext, row: { projectId: string } | undefined, err: BrumeError): void {
  if (!row || !canSeeProject(auth, row.projectId)) throw err;
}

/** Cinder's `Invalid volume: …` 400. */
export function invalidVolume(reason: string): BrumeError {
  return badRequest('volume.invalid_state', `Invalid volume: ${reason}`);
}

/** Parses Cinder's boolean strings (`true`, `False`, `1`, `yes`…); undefined when not a boolean. */
export function parseBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['true', 't', '1', 'yes', 'y', 'on'].includes(s)) return true;
  if (['false', 'f', '0', 'no', 'n', 'off'].includes(s)) return false;
  return undefined;
}

/** Validates a metadata map: string keys of 1-255 characters, string values up to 255. */
export function checkMetadata(raw: unknown, field = 'metadata'): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw badRequest('volume.invalid_metadata', `Invalid input for field/attribute ${field}. Value should be a dict.`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.length < 1 || k.length > 255) {
      throw badRequest('volume.invalid_metadata', `Invalid metadata key '${k}': it must have 1 to 255 characters.`);
    }
    if (typeof v !== 'string' || v.length > 255) {
      throw badRequest('volume.invalid_metadata', `Invalid metadata value for '${k}': a string of at most 255.`);
    }
    out[k] = v;
  }
  return out;
}
