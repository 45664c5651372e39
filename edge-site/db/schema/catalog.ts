import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The catalog's SQLite home at a site: one row per replicated record, the record as JSON. Queries run in memory
 * (see shared/catalog-memory.ts); this table makes them durable and is the query index federation builds on.
 */
export const catalogRecords = sqliteTable(
  'catalog_records',
  {
    collection: text('collection').notNull(),
    id: text('id').notNull(),
    data: text('data', { mode: 'json' }).notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.collection, t.id] })],
);

/** Opaque per-site key/value state (signing keys, bootstrap markers). Private to the site, never replicated. */
export const siteState = sqliteTable('site_state', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
});
