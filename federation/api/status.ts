import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { type FederationApiDeps, iso, siteView } from './deps.ts';

/** `GET /status`: this site, its catalog (documents, heads digest, conflicts) and every peer's liveness and lag. */
export function statusRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const sync = d.sync.status();
    const peers = d.membership.peers();
    const down = peers.filter((p) => p.status === 'down');
    const since = down.map((p) => p.down_since ?? d.clock.now());
    return c.json({
      site: siteView(d, d.store.get('sites', d.siteId), d.siteId),
      catalog: {
        documents: sync.docs,
        digest: sync.digest,
        conflicts: d.store.conflicts().length,
        stale_since: since.length > 0 ? iso(Math.min(...since)) : null,
      },
      peers: peers.map((p) => siteView(d, d.store.get('sites', p.id), p.id)),
      peers_up: peers.filter((p) => p.status === 'up').length,
      peers_down: down.length,
    });
  });
  return app;
}
