/** `/v2.1/os-services`: list, enable/disable (pre-2.53 `PUT /os-services/{action}`, 2.53 `PUT /os-services/{uuid}`). */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { type ServiceRow, serviceRows } from '../../compute/hosts.ts';
import { atLeast } from '../../compute/microversion.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

/** The os-services sub-app. */
export function serviceRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { fleet } = ctx.services;
  app.use(async (c, next) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-services');
    await next();
  });
  const rows = () => serviceRows(ctx.deps.config.site, fleet.hosts(), ctx.deps.clock.now());
  const view = (c: Context<AppEnv>, s: ServiceRow) => ({
    id: atLeast(c, 53) ? s.uuid : s.id,
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.status,
    state: s.state,
    updated_at: s.updated_at,
    disabled_reason: s.disabled_reason,
    ...(atLeast(c, 11) ? { forced_down: s.forced_down } : {}),
  });

  app.get('/', (c) => {
    const host = c.req.query('host');
    const binary = c.req.query('binary');
    const services = rows().filter(
      (s) => (host === undefined || s.host === host) && (binary === undefined || s.binary === binary),
    );
    return c.json({ services: services.map((s) => view(c, s)) });
  });

  const setEnabled = async (host: string, enabled: boolean, reason: string | null) => {
    if (!fleet.host(host)) throw notFound('compute.host_not_found', `Compute host ${host} could not be found.`);
    await fleet.setEnabled(host, enabled, reason);
  };

  const legacy = z.object({
    host: z.string().min(1),
    binary: z.string().min(1),
    disabled_reason: z.string().max(255).optional(),
  });
  app.put('/:action', async (c) => {
    const action = c.req.param('action');
    if (atLeast(c, 53)) {
      const svc = rows().find((s) => s.uuid === action);
      if (!svc) throw notFound('compute.service_not_found', `Service ${action} could not be found.`);
      const body = await jsonBody(
        c,
        z.object({
          status: z.enum(['enabled', 'disabled']).optional(),
          disabled_reason: z.string().max(255).optional(),
          forced_down: z.boolean().optional(),
        }),
      );
      if (body.disabled_reason !== undefined && body.status !== 'disabled') {
        throw badRequest('compute.invalid_body', 'Specifying a disabled_reason is only allowed with status disabled.');
      }
      if (svc.binary !== 'nova-compute') {
        throw badRequest('compute.invalid_service', 'Updating a non nova-compute service is not supported.');
      }
      if (body.status !== undefined)
        await setEnabled(svc.host, body.status === 'enabled', body.disabled_reason ?? null);
      const updated = rows().find((s) => s.uuid === action) ?? svc;
      return c.json({ service: view(c, updated) });
    }
    const body = await jsonBody(c, legacy);
    if (action === 'enable') {
      await setEnabled(body.host, true, null);
      return c.json({ service: { host: body.host, binary: body.binary, status: 'enabled' } });
    }
    if (action === 'disable') {
      await setEnabled(body.host, false, null);
      return c.json({ service: { host: body.host, binary: body.binary, status: 'disabled' } });
    }
    if (action === 'disable-log-reason') {
      if (!body.disabled_reason) throw badRequest('compute.invalid_body', 'Missing disabled reason field');
      await setEnabled(body.host, false, body.disabled_reason);
      return c.json({
        service: { host: body.host, binary: body.binary, status: 'disabled', disabled_reason: body.disabled_reason },
      });
    }
    throw notFound('api.route_not_found', `Unknown action ${action}`);
  });
  return app;
}
