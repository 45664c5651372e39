/** `/v2.1/os-availability-zone[/detail]`: zones from the fleet's hosts. */
import { Hono } from 'hono';
import type { ComputeContext } from '../../compute/context.ts';
import { serviceRows } from '../../compute/hosts.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

/** The availability zone sub-app. */
export function availabilityZoneRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { fleet } = ctx.services;
  const zones = () => {
    const by = new Map<string, boolean>();
    for (const h of fleet.hosts())
      by.set(h.availabilityZone, (by.get(h.availabilityZone) ?? false) || (h.enabled && h.state === 'up'));
    return by;
  };
  app.get('/', (c) =>
    c.json({
      availabilityZoneInfo: [...zones()].map(([zoneName, available]) => ({
        zoneName,
        zoneState: { available },
        hosts: null,
      })),
    }),
  );
  app.get('/detail', (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-availability-zone:detail');
    const services = serviceRows(ctx.deps.config.site, fleet.hosts(), ctx.deps.clock.now());
    const byZone = new Map<string, Record<string, Record<string, unknown>>>();
    for (const s of services) {
      const hosts = byZone.get(s.zone) ?? {};
      byZone.set(s.zone, hosts);
      const entry = hosts[s.host] ?? {};
      hosts[s.host] = entry;
      entry[s.binary] = { available: s.state === 'up', active: s.status === 'enabled', updated_at: s.updated_at };
    }
    const available = zones();
    return c.json({
      availabilityZoneInfo: [...byZone].map(([zoneName, hosts]) => ({
        zoneName,
        zoneState: { available: zoneName === 'internal' ? true : (available.get(zoneName) ?? false) },
        hosts,
      })),
    });
  });
  return app;
}
