/**
 * `/v2.1/os-instance_usage_audit_log[/{before}]` (admin): the state of Nova's periodic usage audit for the last
 * completed monthly period. Brume does not run that audit task, so every compute host is reported as not run.
 */
import { Hono } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

function fmt(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The audit log sub-app. */
export function usageAuditLogRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (before: number) => {
    const t = new Date(before);
    const end = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
    const begin = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - 1, 1));
    const hosts = ctx.services.fleet.hosts().map((h) => h.id);
    return {
      hosts_not_run: hosts,
      log: {},
      num_hosts: hosts.length,
      num_hosts_done: 0,
      num_hosts_not_run: hosts.length,
      num_hosts_running: 0,
      overall_status: `0 of ${hosts.length} hosts done. 0 errors.`,
      period_beginning: fmt(begin),
      period_ending: fmt(end),
      total_errors: 0,
      total_instances: 0,
    };
  };
  app.get('/', (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-instance-usage-audit-log:list');
    return c.json({ instance_usage_audit_logs: render(ctx.deps.clock.now()) });
  });
  app.get('/:before', (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-instance-usage-audit-log:show');
    const raw = decodeURIComponent(c.req.param('before'));
    const m = TIME.exec(raw);
    const t = m ? Date.parse(`${raw.replace(' ', 'T')}Z`) : Number.NaN;
    if (Number.isNaN(t)) {
      throw badRequest('compute.invalid_time', 'Invalid timestamp for date: expected YYYY-MM-DD HH:MM:SS[.ffffff].');
    }
    return c.json({ instance_usage_audit_log: render(t) });
  });
  return app;
}
