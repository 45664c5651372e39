/** Heat software configs and deployments: records servers fetch and report on (no agent runs them here). */
import { and, eq, sql } from 'drizzle-orm';
import { BrumeError } from '../../shared/errors.ts';
import { softwareConfigs, softwareDeployments } from '../db/schema/orchestration.ts';
import type { SiteDeps } from '../services.ts';

export type ConfigRow = typeof softwareConfigs.$inferSelect;
export type DeploymentRow = typeof softwareDeployments.$inferSelect;

const notFound = (what: string, id: string) =>
  new BrumeError('not_found', 'orchestration.software_not_found', `The ${what} (${id}) could not be found.`, {
    type: 'NotFound',
  });

/** The records of one site. */
export function softwareStore(deps: Pick<SiteDeps, 'db' | 'clock' | 'ids'>) {
  const { db } = deps.db;
  const config = async (projectId: string, id: string) => {
    const row = (
      await db
        .select()
        .from(softwareConfigs)
        .where(and(eq(softwareConfigs.id, id), eq(softwareConfigs.projectId, projectId)))
    )[0];
    if (!row) throw notFound('Software Config', id);
    return row;
  };
  const deployment = async (projectId: string, id: string) => {
    const row = (
      await db
        .select()
        .from(softwareDeployments)
        .where(and(eq(softwareDeployments.id, id), eq(softwareDeployments.projectId, projectId)))
    )[0];
    if (!row) throw notFound('Software Deployment', id);
    return row;
  };
  return {
    config,
    deployment,
    async createConfig(
      projectId: string,
      input: { name: string; group: string; config: string; body: Record<string, unknown> },
    ) {
      const row: ConfigRow = { id: deps.ids.uuid(), projectId, ...input, createdAt: deps.clock.now() };
      await db.insert(softwareConfigs).values(row);
      return row;
    },
    listConfigs: (projectId: string) =>
      db.select().from(softwareConfigs).where(eq(softwareConfigs.projectId, projectId)).orderBy(sql`rowid`),
    async deleteConfig(projectId: string, id: string) {
      await config(projectId, id);
      await db.delete(softwareConfigs).where(eq(softwareConfigs.id, id));
    },
    async createDeployment(
      projectId: string,
      input: Omit<DeploymentRow, 'id' | 'projectId' | 'createdAt' | 'updatedAt'>,
    ) {
      await config(projectId, input.configId);
      const row: DeploymentRow = {
        id: deps.ids.uuid(),
        projectId,
        ...input,
        createdAt: deps.clock.now(),
        updatedAt: null,
      };
      await db.insert(softwareDeployments).values(row);
      return row;
    },
    async listDeployments(projectId: string, serverId?: string) {
      const where = serverId
        ? and(eq(softwareDeployments.projectId, projectId), eq(softwareDeployments.serverId, serverId))
        : eq(softwareDeployments.projectId, projectId);
      return db.select().from(softwareDeployments).where(where).orderBy(sql`rowid`);
    },
    async updateDeployment(projectId: string, id: string, patch: Partial<DeploymentRow>) {
      await deployment(projectId, id);
      await db
        .update(softwareDeployments)
        .set({ ...patch, updatedAt: deps.clock.now() })
        .where(eq(softwareDeployments.id, id));
      return deployment(projectId, id);
    },
    async deleteDeployment(projectId: string, id: string) {
      await deployment(projectId, id);
      await db.delete(softwareDeployments).where(eq(softwareDeployments.id, id));
    },
  };
}

/** The store's type. */
export type SoftwareStore = ReturnType<typeof softwareStore>;
