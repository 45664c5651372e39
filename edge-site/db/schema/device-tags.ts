import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Nova's device tags of interfaces attached with `tag` (os-interface, microversion 2.49+): shown by os-interface
 * from 2.70 and in the metadata service's `devices`. Site-local; a port is attached to one server at a time.
 */
export const deviceTags = sqliteTable(
  'device_tags',
  {
    portId: text('port_id').primaryKey(),
    serverId: text('server_id').notNull(),
    tag: text('tag').notNull(),
  },
  (t) => [index('device_tags_server').on(t.serverId)],
);
