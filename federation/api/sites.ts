import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { notFound } from '../../shared/errors.ts';
import { type FederationApiDeps, siteView } from './deps.ts';

/** `GET /sites` (every site of the federation with its liveness as seen from here) and `GET /sites/{id}`. */
export function siteRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ids = () => {
    const all = new Set([
      d.siteId,
      ...d.store.list('sites').map((s) => s.id),
      ...d.membership.peers().map((p) => p.id),
    ]);
    return [...all].sort();
  };
  app.get('/', (c) => c.json({ sites: ids().map((id) => siteView(d, d.store.get('sites', id), id)) }));
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    if (!ids().includes(id)) throw notFound('federation.site_not_found', `Could not find site: ${id}.`);
    return c.json({ site: siteView(d, d.store.get('sites', id), id) });
  });
  return app;
}
