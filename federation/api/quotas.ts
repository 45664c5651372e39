import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { canSeeProject } from '../../edge-site/api/policy.ts';
import { notFound } from '../../shared/errors.ts';
import type { FederationApiDeps } from './deps.ts';

/**
 * `GET /quotas/{project_id}`: the project's escrow at this site, read-only — per resource (`compute.instances`, …)
 * the federation-wide limit, the split version, this site's consumption (`used`), and per site its initial share,
 * what it received and gave and what it may spend, as this site knows it (other sites' figures may lag). A
 * project-scoped token sees its own project only; admin any.
 */
export function quotaRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/:project', async (c) => {
    const project = c.req.param('project');
    const escrow = d.escrow;
    if (!escrow || !canSeeProject(c.get('auth'), project)) {
      throw notFound('federation.quota_not_found', `Could not find quotas of project: ${project}.`);
    }
    const reachable = new Set(
      d.membership
        .peers()
        .filter((p) => p.status === 'up')
        .map((p) => p.id),
    );
    const resources = [];
    for (const s of escrow.status(project)) {
      const sites: Record<string, unknown> = {};
      for (const [id, v] of Object.entries(s.sites)) {
        sites[id] = { ...v, reachable: id === d.siteId || reachable.has(id) };
      }
      resources.push({
        resource: s.resource,
        limit: s.limit,
        version: s.version,
        explicit: s.explicit,
        used: d.usage ? await d.usage(project, s.resource) : null,
        sites,
      });
    }
    return c.json({ quota: { project_id: project, site_id: d.siteId, resources } });
  });
  return app;
}
