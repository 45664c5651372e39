import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { requireAuth } from '../../edge-site/api/middleware/auth.ts';
import { serviceTag } from '../../edge-site/api/middleware/service.ts';
import { requireRole } from '../../edge-site/api/policy.ts';
import { conflictRoutes } from './conflicts.ts';
import type { FederationApiDeps } from './deps.ts';
import { keyRoutes } from './keys.ts';
import { quotaRoutes } from './quotas.ts';
import { resourceRoutes } from './resources.ts';
import { siteRoutes } from './sites.ts';
import { statusRoutes } from './status.ts';

export type { FederationApiDeps } from './deps.ts';

/**
 * Brume's federation API, mounted at `/federation/v1`: this site's view of the federation (status, sites with
 * liveness, the conflict ledger). Read-only; every route needs a token with the reader role.
 */
export function federationRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('brume'));
  // Public keys are public: verifiers (the global API) need them before they can check a token.
  app.route('/keys', keyRoutes(d));
  app.use(requireAuth(d.tokens));
  app.use(async (c, next) => {
    requireRole(c.get('auth'), 'reader', 'federation:read');
    await next();
  });
  app.route('/status', statusRoutes(d));
  app.route('/sites', siteRoutes(d));
  app.route('/conflicts', conflictRoutes(d));
  app.route('/resources', resourceRoutes(d));
  app.route('/quotas', quotaRoutes(d));
  return app;
}
