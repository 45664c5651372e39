import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Image bytes held by this site (site-local, never replicated): one row per image whose file is in
 * `<dataDir>/images/<id>`. The replicated `images.locations` says which sites hold bytes; this says where and
 * since when, and is what a future cache (bytes fetched from peers) evicts from.
 */
export const imageFiles = sqliteTable('image_files', {
  imageId: text('image_id').primaryKey(),
  path: text('path').notNull(),
  size: integer('size').notNull(),
  checksum: text('checksum').notNull(),
  /** `upload` (bytes uploaded here) or `fetched` (copied from a peer site). */
  origin: text('origin').notNull(),
  storedAt: integer('stored_at').notNull(),
  lastUsedAt: integer('last_used_at').notNull(),
});

/**
 * Uploads in progress at this site. A row outlives its upload only when the process died mid-way: at start-up the
 * image goes back to `queued` and the partial file is removed.
 */
export const imageUploads = sqliteTable('image_uploads', {
  imageId: text('image_id').primaryKey(),
  tempPath: text('temp_path').notNull(),
  startedAt: integer('started_at').notNull(),
});
