import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { canSeeProject } from '../../edge-site/api/policy.ts';
import { notFound } from '../../shared/errors.ts';
import { type FederationApiDeps, iso } from './deps.ts';

/**
 * `GET /quotas/{project_id}`: the project's escrow at this site, read-only — per resource (`compute.instances`, …)
 * the federation-wide limit, the split version, this site's consumption (`used`, live), `federation_used` (this
 * site's plus what the others last published), and per site its share, what it received, gave and may spend and its
 * consumption with `used_at`, as this site knows them (other sites' figures may lag). A project-scoped token sees
 * its own project only; admin any.
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
      const used = d.usage ? await d.usage(project, s.resource) : null;
      const sites: Record<string, unknown> = {};
      let total = used ?? 0;
      for (const [id, v] of Object.entries(s.sites)) {
        const self = id === d.siteId;
        if (!self) total += v.used ?? 0;
        sites[id] = {
          ...v,
          used: self ? used : v.used,
          used_at: self ? iso(d.clock.now()) : iso(v.used_at),
          reachable: self || reachable.has(id),
        };
      }
      resources.push({
        resource: s.resource,
        limit: s.limit,
        version: s.version,
        explicit: s.explicit,
        used,
        federation_used: total,
        sites,
      });
    }
    return c.json({ quota: { project_id: project, site_id: d.siteId, resources } });
  });
  return app;
}
