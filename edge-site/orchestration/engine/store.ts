/** Persistence of stacks, resources and events in the site's SQLite database. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { stackEvents, stackResources, stacks } from '../../db/schema/orchestration.ts';
import type { SiteDeps } from '../../services.ts';

export type StackRow = typeof stacks.$inferSelect;
export type ResourceRow = typeof stackResources.$inferSelect;
export type EventRow = typeof stackEvents.$inferSelect;

/** Reads and writes of the orchestration tables. */
export interface StackStore {
  insertStack(row: StackRow): Promise<void>;
  updateStack(id: string, patch: Partial<StackRow>): Promise<void>;
  stack(id: string): Promise<StackRow | undefined>;
  /** Live (not deleted) stacks of a project by name. */
  stackByName(projectId: string, name: string): Promise<StackRow | undefined>;
  /** Live stacks (of one project, or all). */
  listStacks(projectId?: string): Promise<StackRow[]>;
  /** Stacks left IN_PROGRESS (by a previous run of the site). */
  inProgress(): Promise<StackRow[]>;
  resources(stackId: string): Promise<ResourceRow[]>;
  insertResource(row: ResourceRow): Promise<void>;
  updateResource(id: string, patch: Partial<ResourceRow>): Promise<void>;
  deleteResource(id: string): Promise<void>;
  addEvent(row: EventRow): Promise<void>;
  events(stackId: string): Promise<EventRow[]>;
}

/** The store over `deps.db`. */
export function stackStore(deps: Pick<SiteDeps, 'db'>): StackStore {
  const { db } = deps.db;
  return {
    async insertStack(row) {
      await db.insert(stacks).values(row);
    },
    async updateStack(id, patch) {
      await db.update(stacks).set(patch).where(eq(stacks.id, id));
    },
    async stack(id) {
      return (await db.select().from(stacks).where(eq(stacks.id, id)))[0];
    },
    async stackByName(projectId, name) {
      return (
        await db
          .select()
          .from(stacks)
          .where(and(eq(stacks.projectId, projectId), eq(stacks.name, name), isNull(stacks.deletedAt)))
      )[0];
    },
    async listStacks(projectId) {
      const live = isNull(stacks.deletedAt);
      return db
        .select()
        .from(stacks)
        .where(projectId === undefined ? live : and(live, eq(stacks.projectId, projectId)))
        .orderBy(sql`rowid`);
    },
    async inProgress() {
      return db.select().from(stacks).where(eq(stacks.status, 'IN_PROGRESS'));
    },
    async resources(stackId) {
      return db.select().from(stackResources).where(eq(stackResources.stackId, stackId)).orderBy(sql`rowid`);
    },
    async insertResource(row) {
      await db.insert(stackResources).values(row);
    },
    async updateResource(id, patch) {
      await db.update(stackResources).set(patch).where(eq(stackResources.id, id));
    },
    async deleteResource(id) {
      await db.delete(stackResources).where(eq(stackResources.id, id));
    },
    async addEvent(row) {
      await db.insert(stackEvents).values(row);
    },
    async events(stackId) {
      return db.select().from(stackEvents).where(eq(stackEvents.stackId, stackId)).orderBy(sql`rowid`);
    },
  };
}
