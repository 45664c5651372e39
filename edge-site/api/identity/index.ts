import { Hono } from 'hono';
import type { IdentityCore } from '../../identity/index.ts';
import type { AppEnv } from '../env.ts';
import { requireAuth } from '../middleware/auth.ts';
import { serviceTag } from '../middleware/service.ts';
import { grantRoutes, roleAssignmentsRoute } from './assignments.ts';
import { authRoutes } from './auth.ts';
import { catalogRoutes } from './catalog.ts';
import { credentialRoutes } from './credentials.ts';
import { domainConfigRoutes } from './domain-config.ts';
import { domainRoutes } from './domains.ts';
import { endpointGroupRoutes } from './endpoint-groups.ts';
import { groupRoutes } from './groups.ts';
import { inheritRoutes } from './inherit.ts';
import { oauth1Routes } from './oauth1.ts';
import { policyRoutes } from './policies.ts';
import { projectRoutes } from './projects.ts';
import { roleInferencesRoute, roleRoutes } from './roles.ts';
import { passwordRoute, userRoutes } from './users.ts';
import { versionRoutes } from './versions.ts';

/** Keystone v3, mounted at the site's root. Everything but the version documents and token issue needs a token. */
export function identityRoutes(core: IdentityCore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Identity is mounted at '/', so tag only its own paths (other services' requests pass through here too).
  app.use('/', serviceTag('identity'));
  app.use('/v3', serviceTag('identity'));
  app.use('/v3/*', serviceTag('identity'));
  app.route('/', versionRoutes());
  app.route('/v3/auth', authRoutes(core));
  app.route('/v3/users', passwordRoute(core));

  const v3 = new Hono<AppEnv>();
  v3.use(requireAuth(core.tokens));
  v3.route('/', grantRoutes(core));
  v3.route('/', credentialRoutes(core));
  v3.route('/policies', policyRoutes(core));
  v3.route('/OS-EP-FILTER', endpointGroupRoutes(core));
  v3.route('/OS-OAUTH1', oauth1Routes(core));
  v3.route('/domains', domainConfigRoutes(core));
  v3.route('/domains', domainRoutes(core));
  v3.route('/projects', projectRoutes(core));
  v3.route('/users', userRoutes(core));
  v3.route('/groups', groupRoutes(core));
  v3.route('/roles', roleRoutes(core));
  v3.route('/role_inferences', roleInferencesRoute(core));
  v3.route('/role_assignments', roleAssignmentsRoute(core));
  v3.route('/', catalogRoutes(core));
  v3.route('/OS-INHERIT', inheritRoutes(core));
  app.route('/v3', v3);
  return app;
}
