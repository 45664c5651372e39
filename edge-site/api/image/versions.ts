/** Glance's version documents: `GET /image` and `/image/` (300) and `/image/versions` (200). No auth. */
import { type Context, Hono } from 'hono';
import type { SiteDeps } from '../../services.ts';
import type { AppEnv } from '../env.ts';

/** Versions advertised, newest first, as a Glance without multi-store or cache shows them. */
const VERSIONS: Array<[string, 'CURRENT' | 'SUPPORTED']> = [
  ['2.9', 'CURRENT'],
  ['2.7', 'SUPPORTED'],
  ['2.6', 'SUPPORTED'],
  ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'],
  ['2.3', 'SUPPORTED'],
  ['2.2', 'SUPPORTED'],
  ['2.1', 'SUPPORTED'],
  ['2.0', 'SUPPORTED'],
];

/** The versions document; `href` is the configured public URL, else the URL the client used. */
export function versionsDocument(deps: SiteDeps, c: Context<AppEnv>): Record<string, unknown> {
  const base = (deps.config.api.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
  const href = `${base}/image/v2/`;
  return {
    versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href }] })),
  };
}

/** Routes of the version documents. */
export function versionRoutes(deps: SiteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const multiple = (c: Context<AppEnv>) => c.json(versionsDocument(deps, c), 300);
  app.get('/', multiple);
  // `/image/` (trailing slash): a sub-app's '/' route only matches the mount point itself.
  app.use('/*', async (c, next) => {
    if (c.req.method === 'GET' && /^\/[^/]+\/$/.test(c.req.path)) return multiple(c);
    await next();
  });
  app.get('/versions', (c) => c.json(versionsDocument(deps, c), 200));
  return app;
}
