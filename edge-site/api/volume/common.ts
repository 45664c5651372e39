/** Helpers shared by the volume routes. */
import type { Context } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import { volumeBase } from '../../volume/context.ts';
import type { VolumeRow } from '../../volume/model.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin } from '../policy.ts';
import type { Listable } from './query.ts';

/** The URL of a collection for `next` links: the public base, the project of the path, the resource path. */
export function collectionUrl(c: Context<AppEnv>, base: string, suffix: string): string {
  const project = c.req.param('project_id') ?? '';
  return `${base}/v3/${project}/${suffix}`;
}

/** True when an admin asked for every project (`all_tenants`). */
export function allTenants(c: Context<AppEnv>): boolean {
  const v = c.req.query('all_tenants') ?? c.req.query('all_projects');
  return v !== undefined && v !== '0' && v.toLowerCase() !== 'false' && isAdmin(c.var.auth);
}

/** A volume as the list code filters and sorts it. */
export function listableVolume(v: VolumeRow): Listable & { row: VolumeRow } {
  return {
    row: v,
    id: v.id,
    name: v.name,
    status: v.status,
    availability_zone: v.availabilityZone,
    bootable: v.bootable ? 'true' : 'false',
    metadata: v.metadata,
    created_at: v.createdAt,
    updated_at: v.updatedAt,
    size: v.sizeGiB,
    project_id: v.projectId,
    volume_type: v.volumeType,
  };
}

/** A body object at `key`, else a 400 naming it. */
export function member(body: unknown, key: string): Record<string, unknown> {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest('volume.invalid_body', `Missing required element '${key}' in request body.`);
  }
  return v as Record<string, unknown>;
}

/** An optional string-or-null field (name, description). */
export function optString(o: Record<string, unknown>, key: string, max = 255): string | null | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'string')
    throw badRequest('volume.invalid_body', `Invalid input for field/attribute ${key}. Value should be a string.`);
  if (v.length > max)
    throw badRequest(
      'volume.invalid_body',
      `Invalid input for field/attribute ${key}. It must be at most ${max} characters.`,
    );
  return v;
}

/** A positive integer given as a number or a numeric string (Cinder accepts both). */
export function positiveInt(v: unknown, key: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n <= 0) {
    throw badRequest(
      'volume.invalid_size',
      `Invalid input for field/attribute ${key}. Value: ${String(v)}. It must be an integer greater than 0.`,
    );
  }
  return n;
}

export { volumeBase };
