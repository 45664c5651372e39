/**
 * Serves the web console at `/dashboard/`: one HTML page, the client bundled by esbuild on first request (kept in
 * memory; no build step to remember, nothing fetched from a CDN) and its stylesheet. The console talks only to the
 * site's public OpenStack APIs on the same origin, so a strict same-origin Content-Security-Policy fits.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { AppEnv } from '../api/env.ts';

const CLIENT = join(import.meta.dirname, 'client');

/**
 * Headers on every dashboard response. The page may connect to this origin and to the other federation sites'
 * APIs (`peers`: their origins; they allow this one by CORS), nothing else.
 */
export function securityHeaders(peers: readonly string[] = []): Record<string, string> {
  const connect = ["'self'", ...peers].join(' ');
  return {
    'Content-Security-Policy':
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; ` +
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

/** Origins of the federation's sites, from the replicated `sites` collection. */
export function siteOrigins(catalog: Pick<CatalogStore, 'list'>): string[] {
  const out = new Set<string>();
  for (const s of catalog.list('sites')) {
    try {
      out.add(new URL(s.url).origin);
    } catch {
      // A site record without a usable URL: nothing to allow.
    }
  }
  return [...out];
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brume</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body><div id="app"><noscript>The Brume dashboard needs JavaScript.</noscript></div></body>
</html>
`;

/** Bundles the client (preact + htm + the pages) into one ES module, minified. */
export async function bundleClient(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(CLIENT, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return out.outputFiles[0]?.text ?? '';
}

/** The `/dashboard` sub-app; `catalog` (a federated site's) names the peer sites the page may read. */
export function dashboardRoutes(catalog?: Pick<CatalogStore, 'list'>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let js: Promise<string> | undefined;
  let css: Promise<string> | undefined;
  app.use(async (c, next) => {
    await next();
    const peers = catalog ? siteOrigins(catalog).filter((o) => o !== new URL(c.req.url).origin) : [];
    for (const [k, v] of Object.entries(securityHeaders(peers))) c.header(k, v);
  });
  app.get('/app.js', async (c) => {
    js ??= bundleClient();
    try {
      return c.body(await js, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
    } catch (err) {
      js = undefined;
      throw err;
    }
  });
  app.get('/app.css', async (c) => {
    css ??= readFile(join(CLIENT, 'dashboard.css'), 'utf8');
    return c.body(await css, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' });
  });
  // `/dashboard` and `/dashboard/` (pages are routed in the URL fragment).
  app.get('/*', (c) =>
    /^\/dashboard\/?$/.test(c.req.path) ? c.html(PAGE, 200, { 'Cache-Control': 'no-cache' }) : c.notFound(),
  );
  return app;
}
