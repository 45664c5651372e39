/**
 * Per-site summary of the global resource index, for `/federation/v1/sites`: how many entries each site has
 * published and how fresh the newest one is, so a reader can judge how stale that site's part of the index may be
 * (with the site's `last_contact`).
 */
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';

/** One site's index entries as this site holds them. */
export interface IndexSummary {
  /** Entries per type (`server`, `volume`, `network`). */
  entries: Record<string, number>;
  /** Newest `updated_at` among them (ms, the home site's clock), or null. */
  newest: number | null;
}

/** Summaries of every site's entries, in one pass over the index. */
export function indexSummaries(catalog: CatalogStore): Map<string, IndexSummary> {
  const out = new Map<string, IndexSummary>();
  for (const e of catalog.list('resource_index')) {
    let s = out.get(e.site_id);
    if (!s) {
      s = { entries: {}, newest: null };
      out.set(e.site_id, s);
    }
    s.entries[e.type] = (s.entries[e.type] ?? 0) + 1;
    if (typeof e.updated_at === 'number' && (s.newest === null || e.updated_at > s.newest)) s.newest = e.updated_at;
  }
  return out;
}

/** The `resource_index` field of a site's view. */
export function indexField(s: IndexSummary | undefined): {
  entries: Record<string, number>;
  newest_update: string | null;
} {
  return {
    entries: s?.entries ?? {},
    newest_update: s?.newest === null || s?.newest === undefined ? null : new Date(s.newest).toISOString(),
  };
}
