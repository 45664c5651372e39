/**
 * Honest answers about resources homed elsewhere (DESIGN.md principle 5): when this site answers 404 for an id the
 * global resource index places at another site (e.g. Nova `GET /servers/{id}` at site B for a server of site A),
 * the 404 stays — this site never invents that resource's state — but its message names the home site and region
 * and when this site last heard from it, and `X-Brume-Home-Site` / `X-Brume-Home-Region` say it to programs.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { ResourceIndexEntry } from '../../shared/schemas/catalog/index.ts';
import type { PeerView } from '../site/membership.ts';

/** Header naming the site that owns a resource this site does not hold. */
export const HOME_SITE_HEADER = 'X-Brume-Home-Site';
/** Header naming that site's region. */
export const HOME_REGION_HEADER = 'X-Brume-Home-Region';

/** What the middleware reads. */
export interface HomeSiteOptions {
  siteId: string;
  catalog: CatalogStore;
  peer(id: string): PeerView | undefined;
}

/** The index entry of the first path segment that names a resource of another site, if any. */
export function foreignEntry(path: string, catalog: CatalogStore, siteId: string): ResourceIndexEntry | undefined {
  for (const seg of path.split('/')) {
    if (seg.length < 8) continue;
    const e = catalog.get('resource_index', decodeURIComponent(seg));
    if (e && e.site_id !== siteId) return e;
  }
  return undefined;
}

/** The sentence appended to the 404's message. */
export function homeNote(e: ResourceIndexEntry, region: string, p: PeerView | undefined): string {
  const contact = p?.last_contact ? new Date(p.last_contact).toISOString() : 'never';
  const state = p?.status === 'up' ? 'reachable' : 'unreachable from here';
  return ` Its home is site ${e.site_id} (region ${region}, ${state}, last contact ${contact}): use that region.`;
}

/** Appends `note` to the `message` of each top-level error object of an OpenStack error body. */
function annotate(body: unknown, note: string): unknown {
  if (!body || typeof body !== 'object') return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) {
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
      const inner = v as { message: string };
      out[k] = { ...inner, message: inner.message + note };
    }
  }
  return out;
}

/** The middleware (mounted by the federated site around every route). */
export function homeSiteMiddleware(o: HomeSiteOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.res.status !== 404 || c.req.path.startsWith('/federation/')) return;
    const e = foreignEntry(c.req.path, o.catalog, o.siteId);
    if (!e) return;
    const region = o.catalog.get('sites', e.site_id)?.region ?? e.site_id;
    const note = homeNote(e, region, o.peer(e.site_id));
    const headers = new Headers(c.res.headers);
    headers.set(HOME_SITE_HEADER, e.site_id);
    headers.set(HOME_REGION_HEADER, region);
    let body: ReadableStream<Uint8Array> | string | null = c.res.body;
    if ((headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.stringify(annotate(await c.res.clone().json(), note));
        headers.delete('content-length');
      } catch {
        // Not JSON after all: keep the body, the headers still tell.
      }
    }
    c.res = new Response(body, { status: 404, headers });
  };
}
