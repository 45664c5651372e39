import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { HostInventory } from '../../../shared/schemas/agent-protocol.ts';

/**
 * Hosts this site has seen, so they survive a site restart (shown `down` until their agent reports again). The live
 * `up`/`down` state is not stored: it is what the bus says now.
 */
export const hosts = sqliteTable('hosts', {
  id: text('id').primaryKey(),
  /** Stable integer id (os-hypervisors, os-services); assigned once, never reused. */
  numericId: integer('numeric_id').notNull().unique(),
  availabilityZone: text('availability_zone').notNull(),
  inventory: text('inventory', { mode: 'json' }).$type<HostInventory>().notNull(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull(),
  disabledReason: text('disabled_reason'),
  /** Milliseconds since epoch of the agent's last status or heartbeat. */
  lastSeen: integer('last_seen').notNull(),
  bootId: text('boot_id'),
});

/** Capacity claimed by consumers (servers) on hosts: placement's allocations. */
export const allocations = sqliteTable('allocations', {
  consumerId: text('consumer_id').primaryKey(),
  host: text('host').notNull(),
  vcpus: integer('vcpus').notNull(),
  memoryMiB: integer('memory_mib').notNull(),
  diskGiB: integer('disk_gib').notNull(),
  projectId: text('project_id').notNull(),
  createdAt: integer('created_at').notNull(),
});
