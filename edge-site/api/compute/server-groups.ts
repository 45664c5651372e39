/** `/v2.1/os-server-groups`: list, show, create, delete. Policies are passed to Placement.claim. */
import { eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { BrumeError, badRequest, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import { computeServerGroups } from '../../db/schema/compute.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { canSeeProject, isAdmin, projectOf, requireRole } from '../policy.ts';
import { paginate } from './paging.ts';
import { groupById } from './server-common.ts';

type GroupRow = typeof computeServerGroups.$inferSelect;
const POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] as const;

/** The server groups sub-app. */
export function serverGroupRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const db = ctx.deps.db.db;

  const view = async (c: Context<AppEnv>, g: GroupRow) => {
    const members: string[] = [];
    for (const m of g.members) {
      const r = await ctx.store.get(m);
      if (r && !r.deletedAt) members.push(m);
    }
    return {
      id: g.id,
      name: g.name,
      members,
      ...(atLeast(c, 64) ? { policy: g.policy, rules: {} } : { policies: [g.policy], metadata: {} }),
      ...(atLeast(c, 13) ? { project_id: g.projectId, user_id: g.userId } : {}),
    };
  };
  const load = async (c: Context<AppEnv>, id: string) => {
    const g = await groupById(ctx, id);
    if (!g || !canSeeProject(c.var.auth, g.projectId)) {
      throw notFound('compute.group_not_found', `Instance group ${id} could not be found.`);
    }
    return g;
  };

  app.get('/', async (c) => {
    const all = c.req.query('all_projects') !== undefined && isAdmin(c.var.auth);
    const project = projectOf(c.var.auth);
    const rows = (await db.select().from(computeServerGroups)).filter((g) => all || g.projectId === project);
    rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    const page = paginate(rows, c.req.query('limit'), undefined, (g) => g.id);
    const offset = Number(c.req.query('offset') ?? 0) || 0;
    return c.json({ server_groups: await Promise.all(page.items.slice(offset).map((g) => view(c, g))) });
  });
  app.get('/:id', async (c) => c.json({ server_group: await view(c, await load(c, c.req.param('id'))) }));
  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-server-groups:create');
    const body = await jsonBody(
      c,
      z.object({
        server_group: z.object({
          name: z.string().min(1).max(255),
          policies: z.array(z.enum(POLICIES)).length(1).optional(),
          policy: z.enum(POLICIES).optional(),
          rules: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    );
    const b = body.server_group;
    const policy = atLeast(c, 64) ? b.policy : b.policies?.[0];
    if (!policy)
      throw badRequest('api.invalid_body', `'${atLeast(c, 64) ? 'policy' : 'policies'}' is a required property`);
    const project = projectOf(c.var.auth);
    const limits = await ctx.quotas.limits(project);
    const usage = await ctx.quotas.usage(project);
    if (limits.server_groups >= 0 && usage.server_groups + 1 > limits.server_groups) {
      throw new BrumeError('over_quota', 'compute.quota_exceeded', 'Quota exceeded, too many server groups.');
    }
    const row: GroupRow = {
      id: ctx.deps.ids.uuid(),
      name: b.name,
      policy,
      projectId: project,
      userId: c.var.auth.userId,
      members: [],
      createdAt: ctx.deps.clock.now(),
    };
    await db.insert(computeServerGroups).values(row);
    return c.json({ server_group: await view(c, row) });
  });
  app.delete('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-server-groups:delete');
    const g = await load(c, c.req.param('id'));
    await db.delete(computeServerGroups).where(eq(computeServerGroups.id, g.id));
    return c.body(null, 204);
  });
  return app;
}
