import { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';
import type { Fleet, SiteDeps } from '../services.ts';

/** `/healthz` (liveness + readiness summary) and `/metrics` (Prometheus text). Unauthenticated, like Nova's healthcheck. */
export function opsRoutes(deps: SiteDeps, fleet: Fleet): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  deps.metrics.gauge('brume_agents_alive', 'Agents connected and heartbeating.', () => [
    [{}, fleet.hosts().filter((h) => h.state === 'up').length],
  ]);
  app.get('/healthz', (c) => {
    const hosts = fleet.hosts();
    return c.json({
      status: 'ok',
      site: deps.config.site,
      region: deps.config.region,
      agents: { total: hosts.length, up: hosts.filter((h) => h.state === 'up').length },
    });
  });
  app.get('/metrics', async (c) =>
    c.text(await deps.metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }),
  );
  return app;
}
