import { siteBaseOf } from './sites.ts';

/** A catalog endpoint as Keystone returns it. */
export interface CatalogEndpoint {
  id: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

/** A catalog service as Keystone returns it. */
export interface CatalogEntry {
  id: string;
  name?: string;
  type: string;
  endpoints: CatalogEndpoint[];
}

/**
 * The federation's catalog as the global API serves it: every service once per region, each endpoint routed
 * through the global API (`<global>/r/<region><path at the site>`; identity at `<global>/v3`, since any site
 * answers for the replicated identity), plus the virtual region `allRegion` (`<global>/r/<allRegion>...`) whose
 * lists fan out to every region and whose creates are placed by the federation. `allRegion` sorts last so a client
 * that names no region keeps a real one.
 */
export function rewriteCatalog(catalog: readonly CatalogEntry[], global: string, allRegion: string): CatalogEntry[] {
  return catalog.map((svc) => {
    const identity = svc.type === 'identity';
    const seen = new Set<string>();
    const endpoints: CatalogEndpoint[] = [];
    const all: CatalogEndpoint[] = [];
    for (const e of svc.endpoints) {
      const region = e.region_id ?? e.region ?? null;
      const base = siteBaseOf(e.url);
      if (region === null || base === undefined) {
        endpoints.push(e);
        continue;
      }
      const key = `${region}\u0000${e.interface}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const path = e.url.slice(base.length);
      endpoints.push({ ...e, url: identity ? `${global}${path}` : `${global}/r/${region}${path}` });
      if (!seen.has(`\u0001${e.interface}`)) {
        seen.add(`\u0001${e.interface}`);
        all.push({
          id: `${e.id}-${allRegion}`,
          interface: e.interface,
          region: allRegion,
          region_id: allRegion,
          url: identity ? `${global}${path}` : `${global}/r/${allRegion}${path}`,
        });
      }
    }
    endpoints.sort((a, b) => ((a.region_id ?? '') < (b.region_id ?? '') ? -1 : 1));
    return { ...svc, endpoints: [...endpoints, ...all] };
  });
}

/** Rewrites the catalog inside a Keystone token or catalog body (`{token: {catalog}}` or `{catalog}`), in place. */
export function rewriteTokenBody(body: unknown, global: string, allRegion: string): CatalogEntry[] | undefined {
  const b = body as { token?: { catalog?: unknown }; catalog?: unknown } | undefined;
  const holder = b?.token && Array.isArray(b.token.catalog) ? b.token : Array.isArray(b?.catalog) ? b : undefined;
  if (!holder) return undefined;
  const original = holder.catalog as CatalogEntry[];
  holder.catalog = rewriteCatalog(original, global, allRegion);
  return original;
}
