/**
 * `/v2.1/os-hosts` (deprecated since 2.43, admin only): hosts and their services, per-host resource usage, enabling
 * and maintenance. Host power actions are not something an edge site does remotely: they are refused (409).
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { conflict, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { HostState } from '../../services.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

const updateSchema = z
  .object({
    status: z.enum(['enable', 'disable']).optional(),
    maintenance_mode: z.enum(['enable', 'disable']).optional(),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.maintenance_mode !== undefined, "'status' or 'maintenance_mode' needed");

/** The os-hosts sub-app. */
export function hostRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { fleet } = ctx.services;
  const guard = (c: Context<AppEnv>, action: string): void => {
    if (atLeast(c, 43)) throw notFound('api.route_not_found', 'The resource could not be found.');
    requireRole(c.var.auth, 'admin', `os_compute_api:os-hosts:${action}`);
  };
  const hostOr404 = (name: string): HostState => {
    const h = fleet.host(name);
    if (!h) throw notFound('compute.host_not_found', `Compute host ${name} could not be found.`);
    return h;
  };

  app.get('/', (c) => {
    guard(c, 'list');
    const site = ctx.deps.config.site;
    const rows = [
      { host_name: site, service: 'scheduler', zone: 'internal' },
      { host_name: site, service: 'conductor', zone: 'internal' },
      ...fleet.hosts().map((h) => ({ host_name: h.id, service: 'compute', zone: h.availabilityZone })),
    ];
    const zone = c.req.query('zone');
    return c.json({ hosts: zone ? rows.filter((r) => r.zone === zone) : rows });
  });

  app.get('/:host', async (c) => {
    guard(c, 'show');
    const h = hostOr404(c.req.param('host'));
    const used = ctx.services.placement.usage(h.id);
    const servers = (await ctx.store.onHost(h.id)).filter((r) => r.vmState !== 'deleted');
    const perProject = new Map<string, { cpu: number; memory_mb: number; disk_gb: number }>();
    for (const s of servers) {
      const p = perProject.get(s.projectId) ?? { cpu: 0, memory_mb: 0, disk_gb: 0 };
      p.cpu += s.flavor.vcpus;
      p.memory_mb += s.flavor.ram;
      p.disk_gb += s.flavor.disk + s.flavor.ephemeral;
      perProject.set(s.projectId, p);
    }
    const inv = h.inventory;
    const resource = (project: string, cpu: number, memory_mb: number, disk_gb: number) => ({
      resource: { host: h.id, project, cpu, memory_mb, disk_gb },
    });
    return c.json({
      host: [
        resource('(total)', inv.vcpus, inv.memoryMiB, inv.diskGiB),
        resource('(used_now)', used.vcpus, used.memoryMiB, used.diskGiB),
        resource('(used_max)', used.vcpus, used.memoryMiB, used.diskGiB),
        ...[...perProject].map(([p, u]) => resource(p, u.cpu, u.memory_mb, u.disk_gb)),
      ],
    });
  });

  app.put('/:host', async (c) => {
    guard(c, 'update');
    const body = await jsonBody(c, updateSchema);
    const h = hostOr404(c.req.param('host'));
    const out: Record<string, string> = { host: h.id };
    // Maintenance keeps the scheduler away from the host, like disabling it, with a reason that says why.
    if (body.maintenance_mode !== undefined) {
      const on = body.maintenance_mode === 'enable';
      await fleet.setEnabled(h.id, !on, on ? 'maintenance' : null);
      out.maintenance_mode = on ? 'on_maintenance' : 'off_maintenance';
    }
    if (body.status !== undefined) {
      const enabled = body.status === 'enable';
      await fleet.setEnabled(h.id, enabled, enabled ? null : 'disabled with os-hosts');
      out.status = enabled ? 'enabled' : 'disabled';
    }
    return c.json(out);
  });

  for (const action of ['startup', 'shutdown', 'reboot'] as const) {
    app.get(`/:host/${action}`, (c) => {
      guard(c, action);
      const h = hostOr404(c.req.param('host'));
      throw conflict('compute.host_power_action_unsupported', `Host ${h.id} does not support the ${action} action.`);
    });
  }
  return app;
}
