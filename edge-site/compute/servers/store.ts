/** Server rows in the site's SQLite database, with guarded (compare-and-set) state transitions. */
import { and, eq, inArray, isNotNull, isNull, or, type SQL } from 'drizzle-orm';
import type { SiteDatabase } from '../../db/client.ts';
import { computeServers } from '../../db/schema/compute.ts';

export type ServerRow = typeof computeServers.$inferSelect;
export type NewServerRow = typeof computeServers.$inferInsert;
export type ServerPatch = Partial<Omit<ServerRow, 'id'>>;

/** What a transition requires of the current row. `taskStates` may contain null (idle). */
export interface Guard {
  vmStates?: readonly string[];
  taskStates?: ReadonlyArray<string | null>;
  /** Require the row not to be (soft-)deleted; default true. */
  live?: boolean;
}

/** The server table. */
export interface ServerStore {
  insert(rows: NewServerRow[]): Promise<void>;
  /** The row, deleted ones included. */
  get(id: string): Promise<ServerRow | undefined>;
  /** Applies `patch` only if the row satisfies `guard`; returns the new row, or undefined when the guard failed. */
  transition(id: string, guard: Guard, patch: ServerPatch): Promise<ServerRow | undefined>;
  update(id: string, patch: ServerPatch): Promise<ServerRow | undefined>;
  /** Every row (deleted ones only when asked). */
  all(includeDeleted?: boolean): Promise<ServerRow[]>;
  /** Live rows placed on `host`. */
  onHost(host: string): Promise<ServerRow[]>;
}

function guardSql(id: string, g: Guard): SQL | undefined {
  const parts: Array<SQL | undefined> = [eq(computeServers.id, id)];
  if (g.live !== false) parts.push(isNull(computeServers.deletedAt));
  if (g.vmStates) parts.push(inArray(computeServers.vmState, [...g.vmStates]));
  if (g.taskStates) {
    const named = g.taskStates.filter((t): t is string => t !== null);
    const alts: Array<SQL | undefined> = [];
    if (named.length > 0) alts.push(inArray(computeServers.taskState, named));
    if (g.taskStates.includes(null)) alts.push(isNull(computeServers.taskState));
    parts.push(alts.length === 0 ? eq(computeServers.id, '') : or(...alts));
  }
  return and(...parts);
}

/** The server table over drizzle. */
export function createServerStore(sdb: SiteDatabase): ServerStore {
  const { db } = sdb;
  return {
    async insert(rows) {
      if (rows.length > 0) await db.insert(computeServers).values(rows);
    },
    async get(id) {
      const [row] = await db.select().from(computeServers).where(eq(computeServers.id, id));
      return row;
    },
    async transition(id, guard, patch) {
      const rows = await db.update(computeServers).set(patch).where(guardSql(id, guard)).returning();
      return rows[0];
    },
    async update(id, patch) {
      const rows = await db.update(computeServers).set(patch).where(eq(computeServers.id, id)).returning();
      return rows[0];
    },
    async all(includeDeleted = false) {
      const q = db.select().from(computeServers);
      return includeDeleted ? q : q.where(isNull(computeServers.deletedAt));
    },
    async onHost(host) {
      return db
        .select()
        .from(computeServers)
        .where(and(eq(computeServers.host, host), isNull(computeServers.deletedAt), isNotNull(computeServers.host)));
    },
  };
}
