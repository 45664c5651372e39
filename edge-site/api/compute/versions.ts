/** Nova's version documents: `GET /` (all versions) and `GET /v2.1/` (the current one). No auth. */
import { type Context, Hono } from 'hono';
import { computeRoot } from '../../compute/links.ts';
import { MAX_VERSION, MIN_VERSION } from '../../compute/microversion.ts';
import type { AppEnv } from '../env.ts';

function v20(c: Context<AppEnv>) {
  return {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${computeRoot(c)}/v2/` }],
  };
}

function v21(c: Context<AppEnv>) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${computeRoot(c)}/v2.1/` }],
  };
}

/** Routes for the version documents (mounted at the compute root). */
export function versionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const all = (c: Context<AppEnv>) =>
    c.json({
      versions: [v20(c), v21(c)],
    });
  const one = (c: Context<AppEnv>, legacy: boolean) =>
    c.json({
      version: {
        ...(legacy ? v20(c) : v21(c)),
        links: [
          { rel: 'self', href: `${computeRoot(c)}/${legacy ? 'v2' : 'v2.1'}/` },
          { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      },
    });
  app.get('/', all);
  // `GET /compute/` (trailing slash): Hono's strict routing would not match '/' under the mount point.
  app.use('*', async (c, next) => {
    const prefix = c.req.routePath.replace(/\/\*$/, '');
    if (c.req.method === 'GET' && c.req.path === `${prefix}/`) return all(c);
    await next();
  });
  app.get('/v2.1', (c) => one(c, false));
  app.get('/v2.1/', (c) => one(c, false));
  // The legacy v2.0 document only (Brume serves no v2.0 API; its self link must resolve, as Nova's does).
  app.get('/v2', (c) => one(c, true));
  app.get('/v2/', (c) => one(c, true));
  return app;
}
