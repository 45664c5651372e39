/** `/v2.1/limits` and `/v2.1/os-quota-sets/{project_id}[/defaults|/detail]`. */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { forbidden } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import { QUOTA_RESOURCES, type QuotaResource } from '../../compute/quotas.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin, projectOf, requireRole } from '../policy.ts';

/** Resources shown at the request's microversion (2.36 drops network ones, 2.57 injected files). */
function shown(c: Context<AppEnv>): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => {
    if (atLeast(c, 36) && ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'].includes(r))
      return false;
    if (atLeast(c, 57) && r.startsWith('injected_file')) return false;
    return true;
  });
}

/** The limits sub-app (mounted at `/limits`). */
export function limitRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    let project = projectOf(c.var.auth);
    const other = c.req.query('tenant_id');
    if (other !== undefined && isAdmin(c.var.auth)) project = other;
    const [l, u] = await Promise.all([ctx.quotas.limits(project), ctx.quotas.usage(project)]);
    const absolute: Record<string, number> = {
      maxTotalCores: l.cores,
      maxTotalInstances: l.instances,
      maxTotalRAMSize: l.ram,
      maxTotalKeypairs: l.key_pairs,
      maxServerMeta: l.metadata_items,
      maxServerGroups: l.server_groups,
      maxServerGroupMembers: l.server_group_members,
      totalCoresUsed: u.cores,
      totalInstancesUsed: u.instances,
      totalRAMUsed: u.ram,
      totalServerGroupsUsed: u.server_groups,
    };
    if (!atLeast(c, 36)) {
      Object.assign(absolute, {
        maxTotalFloatingIps: l.floating_ips,
        totalFloatingIpsUsed: 0,
        maxSecurityGroups: l.security_groups,
        totalSecurityGroupsUsed: 0,
        maxSecurityGroupRules: l.security_group_rules,
      });
    }
    if (!atLeast(c, 39)) absolute.maxImageMeta = 128;
    if (!atLeast(c, 57)) {
      absolute.maxPersonality = l.injected_files;
      absolute.maxPersonalitySize = l.injected_file_content_bytes;
    }
    return c.json({ limits: { absolute, rate: [] } });
  });
  return app;
}

/** Resources of a quota class at the request's microversion (2.50 swaps network ones for server groups). */
function classShown(c: Context<AppEnv>): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => {
    const network = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'].includes(r);
    if (atLeast(c, 50) ? network : r.startsWith('server_group')) return false;
    if (atLeast(c, 57) && r.startsWith('injected_file')) return false;
    return true;
  });
}

const quotaInt = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().min(-1));

/** `/os-quota-class-sets/{class}` (admin): only the `default` class has an effect, as in Nova. */
export function quotaClassRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const view = async (c: Context<AppEnv>, id: string) => {
    const values = await ctx.quotas.defaults();
    return { id, ...Object.fromEntries(classShown(c).map((r) => [r, values[r]])) };
  };
  app.get('/:id', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-quota-class-sets:show');
    return c.json({ quota_class_set: await view(c, c.req.param('id')) });
  });
  app.put('/:id', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-quota-class-sets:update');
    const body = await jsonBody(
      c,
      z.object({
        quota_class_set: z.strictObject(Object.fromEntries(classShown(c).map((r) => [r, quotaInt.optional()]))),
      }),
    );
    const values: Partial<Record<QuotaResource, number>> = {};
    for (const [k, v] of Object.entries(body.quota_class_set))
      if (typeof v === 'number') values[k as QuotaResource] = v;
    if (c.req.param('id') === 'default') await ctx.quotas.updateDefaults(values);
    const { id: _id, ...rest } = await view(c, c.req.param('id'));
    return c.json({ quota_class_set: rest });
  });
  return app;
}

/** The quota sets sub-app (mounted at `/os-quota-sets`). */
export function quotaSetRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const mayRead = (c: Context<AppEnv>, project: string) => {
    if (!isAdmin(c.var.auth) && c.var.auth.project?.id !== project) {
      throw forbidden('policy.forbidden', `Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.`);
    }
  };
  const pick = (c: Context<AppEnv>, values: Record<QuotaResource, number>) =>
    Object.fromEntries(shown(c).map((r) => [r, values[r]]));

  app.get('/:project/defaults', async (c) => {
    const project = c.req.param('project');
    return c.json({ quota_set: { id: project, ...pick(c, await ctx.quotas.defaults()) } });
  });
  app.get('/:project/detail', async (c) => {
    const project = c.req.param('project');
    mayRead(c, project);
    const [l, u] = await Promise.all([ctx.quotas.limits(project), ctx.quotas.usage(project, c.var.auth.userId)]);
    const detail = Object.fromEntries(shown(c).map((r) => [r, { limit: l[r], in_use: u[r], reserved: 0 }]));
    return c.json({ quota_set: { id: project, ...detail } });
  });
  app.get('/:project', async (c) => {
    const project = c.req.param('project');
    mayRead(c, project);
    return c.json({ quota_set: { id: project, ...pick(c, await ctx.quotas.limits(project)) } });
  });
  const intLike = z
    .union([
      z.number().int(),
      z
        .string()
        .regex(/^-?\d+$/)
        .transform(Number),
    ])
    .pipe(z.number().min(-1));
  app.put('/:project', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-quota-sets:update');
    const project = c.req.param('project');
    const body = await jsonBody(
      c,
      z.object({
        quota_set: z
          .object({ force: z.union([z.boolean(), z.string()]).optional() })
          .extend(Object.fromEntries(shown(c).map((r) => [r, intLike.optional()]))),
      }),
    );
    const { force, ...rest } = body.quota_set as Record<string, unknown>;
    const values: Partial<Record<QuotaResource, number>> = {};
    for (const [k, v] of Object.entries(rest)) if (typeof v === 'number') values[k as QuotaResource] = v;
    await ctx.quotas.update(project, values, force === true || force === 'true' || force === 'True');
    return c.json({ quota_set: pick(c, await ctx.quotas.limits(project)) });
  });
  app.delete('/:project', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-quota-sets:delete');
    await ctx.quotas.reset(c.req.param('project'));
    return c.body(null, 202);
  });
  return app;
}
