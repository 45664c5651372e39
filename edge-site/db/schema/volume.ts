import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Cinder's site-local objects: volumes, their snapshots and attachments. Metadata maps are JSON columns (always read
 * and written with their owner). Ids are UUIDv7, so ordering by id is creation order.
 */

/** Block storage volumes of this site. */
export const volumes = sqliteTable(
  'vol_volumes',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    name: text('name'),
    description: text('description'),
    sizeGiB: integer('size_gib').notNull(),
    /** creating, available, reserved/attaching, in-use, detaching, extending, deleting, error, … */
    status: text('status').notNull(),
    /** `attached` / `detached` (Cinder's attach_status). */
    attachStatus: text('attach_status').notNull().default('detached'),
    availabilityZone: text('availability_zone').notNull(),
    volumeType: text('volume_type').notNull(),
    bootable: integer('bootable', { mode: 'boolean' }).notNull().default(false),
    readonly: integer('readonly', { mode: 'boolean' }).notNull().default(false),
    multiattach: integer('multiattach', { mode: 'boolean' }).notNull().default(false),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    imageMetadata: text('image_metadata', { mode: 'json' }).$type<Record<string, string> | null>(),
    snapshotId: text('snapshot_id'),
    sourceVolid: text('source_volid'),
    /** The backend's handle (file path) once created. */
    path: text('path'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('vol_volumes_project').on(t.projectId)],
);

/** Point-in-time copies of volumes. */
export const volumeSnapshots = sqliteTable(
  'vol_snapshots',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    volumeId: text('volume_id').notNull(),
    name: text('name'),
    description: text('description'),
    sizeGiB: integer('size_gib').notNull(),
    status: text('status').notNull(),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    path: text('path'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('vol_snapshots_volume').on(t.volumeId)],
);

/** A volume attached to a server (one per volume until multiattach). */
export const volumeAttachments = sqliteTable(
  'vol_attachments',
  {
    id: text('id').primaryKey(),
    volumeId: text('volume_id').notNull(),
    serverId: text('server_id'),
    hostName: text('host_name'),
    device: text('device'),
    /** `attaching` / `attached` / `detaching`. */
    status: text('status').notNull(),
    attachedAt: integer('attached_at'),
    /** Nova's block device mapping: delete the volume with the server. */
    deleteOnTermination: integer('delete_on_termination', { mode: 'boolean' }).notNull().default(false),
    /** Nova's boot_index (0 = the root disk of a server booted from volume); null for hot-plugged volumes. */
    bootIndex: integer('boot_index'),
  },
  (t) => [index('vol_attachments_volume').on(t.volumeId), index('vol_attachments_server').on(t.serverId)],
);

/** Per-project quota overrides (absent: the defaults). */
export const volumeQuotas = sqliteTable(
  'vol_quotas',
  {
    projectId: text('project_id').notNull(),
    resource: text('resource').notNull(),
    hardLimit: integer('hard_limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);
