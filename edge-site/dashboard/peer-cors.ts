/**
 * CORS for the dashboards of the other sites of the federation, so a site's console can read a peer's public API
 * (e.g. its hypervisors' capacity) with the user's token. Only origins that are a federation site's registered API
 * URL (the replicated `sites` collection) are allowed; tokens travel in `X-Auth-Token`, never in cookies, so no
 * credentials mode is involved. Requests without an `Origin`, or from this site itself, pass untouched.
 */
import type { MiddlewareHandler } from 'hono';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { AppEnv } from '../api/env.ts';

const ALLOW_HEADERS = 'X-Auth-Token, Content-Type, Accept, OpenStack-API-Version, X-OpenStack-Nova-API-Version';
const EXPOSE_HEADERS = 'X-Subject-Token, X-OpenStack-Request-Id, OpenStack-API-Version';

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** True when `origin` is another federation site's API origin. */
export function isPeerOrigin(catalog: Pick<CatalogStore, 'list'>, origin: string, self: string): boolean {
  if (origin === self) return false;
  return catalog.list('sites').some((s) => originOf(s.url) === origin);
}

/** The middleware: answers peers' preflights and marks responses to them as readable. */
export function peerCors(catalog: Pick<CatalogStore, 'list'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('Origin');
    if (!origin || !isPeerOrigin(catalog, origin, new URL(c.req.url).origin)) return next();
    if (c.req.method === 'OPTIONS' && c.req.header('Access-Control-Request-Method')) {
      return new Response(null, {
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
          'Access-Control-Allow-Headers': ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
          Vary: 'Origin',
        },
      });
    }
    await next();
    const headers: Array<[string, string]> = [
      ['Access-Control-Allow-Origin', origin],
      ['Access-Control-Expose-Headers', EXPOSE_HEADERS],
      ['Vary', 'Origin'],
    ];
    // Responses built elsewhere may carry immutable headers: copy them once.
    try {
      for (const [k, v] of headers) c.res.headers.set(k, v);
    } catch {
      c.res = new Response(c.res.body, c.res);
      for (const [k, v] of headers) c.res.headers.set(k, v);
    }
  };
}
