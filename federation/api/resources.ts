import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { canSeeProject, isAdmin } from '../../edge-site/api/policy.ts';
import { notFound } from '../../shared/errors.ts';
import { type ResourceView, resourceView } from '../index/view.ts';
import type { FederationApiDeps } from './deps.ts';

/**
 * `GET /resources[?type=&project_id=&site_id=&name=]` and `GET /resources/{id}`: the global resource index (which
 * site owns a server, volume or network) with the home site's liveness and the entry's age. A project-scoped
 * token sees its project's entries only; an admin sees all. Unknown ids and other projects' entries are 404.
 */
export function resourceRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ctx = () => ({ siteId: d.siteId, now: d.clock.now(), peer: (id: string) => d.membership.peer(id) });
  app.get('/', (c) => {
    const auth = c.get('auth');
    const q = {
      type: c.req.query('type'),
      project_id: c.req.query('project_id'),
      site_id: c.req.query('site_id'),
      name: c.req.query('name'),
    };
    const admin = isAdmin(auth);
    const view = ctx();
    const out: ResourceView[] = [];
    for (const e of d.store.list('resource_index')) {
      if (!admin && (e.project_id === null || e.project_id !== auth.project?.id)) continue;
      if (q.type !== undefined && e.type !== q.type) continue;
      if (q.project_id !== undefined && e.project_id !== q.project_id) continue;
      if (q.site_id !== undefined && e.site_id !== q.site_id) continue;
      if (q.name !== undefined && (e.name ?? null) !== q.name) continue;
      out.push(resourceView(e, view));
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return c.json({ resources: out });
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    const e = d.store.get('resource_index', id);
    if (!e || !canSeeProject(c.get('auth'), e.project_id)) {
      throw notFound('federation.resource_not_found', `Could not find resource: ${id}.`);
    }
    return c.json({ resource: resourceView(e, ctx()) });
  });
  return app;
}
