/** The orchestration service's HTTP face (Heat API v1), mounted by the site at `/orchestration`. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { requireAuth, type TokenValidator } from '../middleware/auth.ts';
import { serviceTag } from '../middleware/service.ts';
import type { OrchestrationContext } from './common.ts';
import { stackDetailRoutes } from './details.ts';
import { miscRoutes } from './misc.ts';
import { softwareRoutes } from './software.ts';
import { stackRoutes } from './stacks.ts';

function versions(url: string) {
  const base = url.replace(/\/$/, '').replace(/\/v1$/, '');
  return {
    versions: [{ id: 'v1.0', status: 'CURRENT', links: [{ href: `${base}/v1/`, rel: 'self' }] }],
  };
}

/** Builds the app: version documents without auth, `/v1/{project_id}/…` behind a token. */
export function orchestrationApi(ctx: OrchestrationContext, tokens: TokenValidator): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('orchestration'));
  app.get('/', (c) => c.json(versions(c.req.url), 300));
  app.get('/v1', (c) => c.json(versions(c.req.url), 300));
  const v1 = new Hono<AppEnv>();
  const auth = requireAuth(tokens);
  for (const p of [
    'stacks',
    'validate',
    'template_versions',
    'resource_types',
    'build_info',
    'software_configs',
    'software_deployments',
  ]) {
    v1.use(`/:project_id/${p}`, auth);
    v1.use(`/:project_id/${p}/*`, auth);
  }
  v1.route('/:project_id/stacks/:stack_name/:stack_id', stackDetailRoutes(ctx));
  v1.route('/:project_id/stacks', stackRoutes(ctx));
  v1.route('/:project_id', miscRoutes(ctx));
  v1.route('/:project_id', softwareRoutes(ctx.software));
  app.route('/v1', v1);
  return app;
}
