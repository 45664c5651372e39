/**
 * What the global API knows of the federation's sites: base URL, site id, region. Seeded with configured URLs and
 * filled from two replicated sources that any site serves: `/federation/v1/sites` (ids, regions, URLs) and the
 * service catalog of every token (regions and endpoint URLs). Keyed by base URL — a seed is known by URL only
 * until a site names it.
 */
export interface SiteEntry {
  url: string;
  id: string | undefined;
  region: string | undefined;
}

/** Path prefixes of a site's services: a catalog endpoint URL is `<site base><prefix>...`. */
const SERVICE_PREFIXES = ['/v3', '/compute', '/image', '/network', '/volume', '/orchestration'];

/** The site base of an endpoint URL (the part before its service prefix), or undefined. */
export function siteBaseOf(endpointUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(endpointUrl);
  } catch {
    return undefined;
  }
  // The earliest service prefix wins (`/volume/v3/...` is the volume service, not identity's `/v3`).
  let at = -1;
  for (const p of SERVICE_PREFIXES) {
    const i = u.pathname.indexOf(p);
    const end = u.pathname[i + p.length];
    if (i >= 0 && (end === undefined || end === '/') && (at < 0 || i < at)) at = i;
  }
  if (at >= 0) return `${u.origin}${u.pathname.slice(0, at)}`;
  return undefined;
}

/** A catalog as Keystone returns it (only what is read here). */
export interface CatalogService {
  type: string;
  endpoints: Array<{ region_id?: string | null; region?: string | null; url: string }>;
}

/** The site table. */
export class SiteTable {
  readonly #byUrl = new Map<string, SiteEntry>();
  #refreshedAt: number | null = null;

  constructor(seeds: readonly string[]) {
    for (const url of seeds) this.#upsert(url, {});
  }

  #upsert(url: string, patch: Partial<SiteEntry>): void {
    const base = url.replace(/\/+$/, '');
    const e = this.#byUrl.get(base) ?? { url: base, id: undefined, region: undefined };
    if (patch.id !== undefined) e.id = patch.id;
    if (patch.region !== undefined) e.region = patch.region;
    this.#byUrl.set(base, e);
  }

  /** Every known site, seeds first then by URL. */
  all(): SiteEntry[] {
    return [...this.#byUrl.values()];
  }

  /** Sites of `region`, in a stable order. */
  inRegion(region: string): SiteEntry[] {
    return this.all()
      .filter((s) => (s.region ?? s.id) === region)
      .sort((a, b) => (a.url < b.url ? -1 : 1));
  }

  /** Region names, sorted. */
  regions(): string[] {
    const out = new Set<string>();
    for (const s of this.all()) {
      const r = s.region ?? s.id;
      if (r !== undefined) out.add(r);
    }
    return [...out].sort();
  }

  byId(id: string): SiteEntry | undefined {
    return this.all().find((s) => s.id === id);
  }

  byUrl(url: string): SiteEntry | undefined {
    return this.#byUrl.get(url.replace(/\/+$/, ''));
  }

  /** The region of a site, by its id or base URL. */
  regionOf(site: SiteEntry): string {
    return site.region ?? site.id ?? site.url;
  }

  /** Learns sites from a `/federation/v1/sites` body. */
  learnSites(body: unknown, now: number): void {
    this.#refreshedAt = now;
    const list = (body as { sites?: unknown })?.sites;
    if (!Array.isArray(list)) return;
    for (const s of list as Array<Record<string, unknown>>) {
      if (typeof s.url !== 'string' || typeof s.id !== 'string') continue;
      // A seed may be spelled differently (localhost vs 127.0.0.1): a known id keeps its first URL.
      const known = this.byId(s.id);
      this.#upsert(known?.url ?? s.url, { id: s.id, region: typeof s.region === 'string' ? s.region : undefined });
    }
  }

  /** Learns regions and site URLs from a token's catalog. */
  learnCatalog(catalog: readonly CatalogService[]): void {
    for (const svc of catalog) {
      for (const e of svc.endpoints ?? []) {
        const region = e.region_id ?? e.region ?? undefined;
        const base = siteBaseOf(e.url);
        if (base === undefined || region === undefined || region === null) continue;
        this.#upsert(base, { region });
      }
    }
  }

  /** True when the site list has not been read for `maxAgeMs`. */
  stale(now: number, maxAgeMs: number): boolean {
    return this.#refreshedAt === null || now - this.#refreshedAt >= maxAgeMs;
  }
}
