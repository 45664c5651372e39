import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { notFound } from '../../shared/errors.ts';
import { indexField, indexSummaries } from '../index/summary.ts';
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
  // Each site's part of the resource index (entries per type, newest update): how stale it may be, with last_contact.
  const view = (id: string, index = indexSummaries(d.store)) => ({
    ...siteView(d, d.store.get('sites', id), id),
    resource_index: indexField(index.get(id)),
  });
  app.get('/', (c) => {
    const index = indexSummaries(d.store);
    return c.json({ sites: ids().map((id) => view(id, index)) });
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    if (!ids().includes(id)) throw notFound('federation.site_not_found', `Could not find site: ${id}.`);
    return c.json({ site: view(id) });
  });
  return app;
}
