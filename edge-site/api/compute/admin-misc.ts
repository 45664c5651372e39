/**
 * Small admin APIs: `/os-migrations` (Brume does not migrate servers, so the list is empty) and
 * `/os-server-external-events` (Neutron/Cinder notifications: acknowledged per server; nothing waits on them).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

/** `/os-migrations` (mounted there). */
export function migrationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-migrations:index');
    return c.json({ migrations: [] });
  });
  return app;
}

const eventsSchema = z.object({
  events: z
    .array(
      z.object({
        name: z.enum([
          'network-changed',
          'network-vif-plugged',
          'network-vif-unplugged',
          'network-vif-deleted',
          'volume-extended',
          'power-update',
          'accelerator-request-bound',
          'volume-reimaged',
        ]),
        server_uuid: z.string().min(1),
        status: z.enum(['failed', 'completed', 'in-progress']).optional(),
        tag: z.string().max(255).optional(),
      }),
    )
    .min(1),
});

/** `/os-server-external-events` (mounted there). */
export function externalEventRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-server-external-events:create');
    const { events } = await jsonBody(c, eventsSchema);
    const out = [];
    for (const e of events) {
      const row = await ctx.store.get(e.server_uuid);
      const live = row && !row.deletedAt && row.host !== null;
      out.push({ ...e, status: live ? (e.status ?? 'completed') : 'failed', code: live ? 200 : 404 });
    }
    if (out.every((e) => e.code === 404))
      throw notFound('compute.no_instances_found', 'No instances found for any event');
    return c.json({ events: out }, out.some((e) => e.code !== 200) ? 207 : 200);
  });
  return app;
}
