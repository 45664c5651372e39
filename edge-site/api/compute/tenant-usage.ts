/** `/v2.1/os-simple-tenant-usage[/{project_id}]`: server hours per project over a period (Nova's shape). */
import { Hono } from 'hono';
import { badRequest, forbidden } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { isoMicro } from '../../compute/links.ts';
import { statusOf } from '../../compute/servers/states.ts';
import type { ServerRow } from '../../compute/servers/store.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin } from '../policy.ts';

const HOUR = 3_600_000;

function parseTime(raw: string | undefined, now: number): number {
  if (raw === undefined || raw === '') return now;
  const t = Date.parse(/Z$|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`);
  if (Number.isNaN(t)) throw badRequest('compute.invalid_time', `Invalid datetime string: ${raw}`);
  return t;
}

/** The tenant usage sub-app. */
export function tenantUsageRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const usage = (project: string, rows: ServerRow[], start: number, stop: number, detailed: boolean) => {
    const servers = rows
      .filter((r) => r.projectId === project)
      .map((r) => {
        const began = r.launchedAt ?? r.createdAt;
        const ended = r.terminatedAt;
        const from = Math.max(began, start);
        const to = Math.min(ended ?? stop, stop);
        return {
          r,
          began,
          ended,
          hours: Math.max(0, to - from) / HOUR,
          overlaps: began <= stop && (ended ?? stop) >= start,
        };
      })
      .filter((x) => x.overlaps);
    const sum = (f: (x: (typeof servers)[number]) => number) => servers.reduce((n, x) => n + f(x), 0);
    return {
      tenant_id: project,
      start: isoMicro(start),
      stop: isoMicro(stop),
      total_hours: sum((x) => x.hours),
      total_vcpus_usage: sum((x) => x.hours * x.r.flavor.vcpus),
      total_memory_mb_usage: sum((x) => x.hours * x.r.flavor.ram),
      total_local_gb_usage: sum((x) => x.hours * (x.r.flavor.disk + x.r.flavor.ephemeral)),
      ...(detailed
        ? {
            server_usages: servers.map(({ r, began, ended, hours }) => ({
              instance_id: r.id,
              name: r.name,
              tenant_id: r.projectId,
              flavor: r.flavor.name,
              vcpus: r.flavor.vcpus,
              memory_mb: r.flavor.ram,
              local_gb: r.flavor.disk + r.flavor.ephemeral,
              hours,
              started_at: isoMicro(began),
              ended_at: ended === null ? null : isoMicro(ended),
              state: ended === null ? statusOf(r.vmState, r.taskState).toLowerCase() : 'terminated',
              uptime: Math.floor(((ended ?? ctx.deps.clock.now()) - began) / 1000),
            })),
          }
        : {}),
    };
  };

  const period = (q: Record<string, string>) => {
    const now = ctx.deps.clock.now();
    const start = parseTime(q.start, now);
    const stop = parseTime(q.end, now);
    if (start > stop)
      throw badRequest('compute.invalid_time', 'Invalid start time. The start time cannot occur after the end time.');
    return { start, stop };
  };

  app.get('/', async (c) => {
    if (!isAdmin(c.var.auth))
      throw forbidden(
        'policy.forbidden',
        "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.",
      );
    const q = c.req.query();
    const { start, stop } = period(q);
    const rows = await ctx.store.all(true);
    const projects = [...new Set(rows.map((r) => r.projectId))].sort();
    const detailed = q.detailed === '1' || q.detailed === 'true';
    const tenant_usages = projects
      .map((p) => usage(p, rows, start, stop, detailed))
      .filter((u) => !detailed || (u.server_usages?.length ?? 0) > 0);
    return c.json({ tenant_usages });
  });
  app.get('/:project', async (c) => {
    const project = c.req.param('project');
    if (!isAdmin(c.var.auth) && c.var.auth.project?.id !== project) {
      throw forbidden(
        'policy.forbidden',
        "Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.",
      );
    }
    const { start, stop } = period(c.req.query());
    return c.json({ tenant_usage: usage(project, await ctx.store.all(true), start, stop, true) });
  });
  return app;
}
