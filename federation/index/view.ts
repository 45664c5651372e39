/**
 * An index entry as the API shows it, with honest state (DESIGN.md principle 5): whether its home site is reachable
 * from here, when this site last heard from it, and how old the entry may be. This shape is a contract
 * (federation/README.md "Resource index"): fields are only added.
 */
import type { ResourceIndexEntry } from '../../shared/schemas/catalog/index.ts';
import type { PeerView } from '../site/membership.ts';

/** What the view needs of the site it is shown at. */
export interface IndexViewContext {
  siteId: string;
  now: number;
  peer(id: string): PeerView | undefined;
}

/** The API view of one entry. */
export interface ResourceView {
  id: string;
  type: string;
  site_id: string;
  project_id: string | null;
  name: string | null;
  status: string | null;
  /** When the home site saw the resource change (its clock), ISO 8601, or null. */
  updated_at: string | null;
  /** True when this site reaches the home site now (always true for its own resources). */
  site_reachable: boolean;
  /** Last time this site heard from the home site (ISO 8601), null when never. */
  last_contact: string | null;
  /** Seconds since that contact: how stale the entry may be (0 for this site's own resources). */
  age_seconds: number | null;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** Builds the view of `e` as seen from `ctx.siteId`. */
export function resourceView(e: ResourceIndexEntry, ctx: IndexViewContext): ResourceView {
  const own = e.site_id === ctx.siteId;
  const p = own ? undefined : ctx.peer(e.site_id);
  const contact = own ? ctx.now : (p?.last_contact ?? null);
  const reachable = own || (p !== undefined && p.status === 'up');
  return {
    id: e.id,
    type: e.type,
    site_id: e.site_id,
    project_id: e.project_id,
    name: e.name ?? null,
    status: e.status ?? null,
    updated_at: iso(e.updated_at),
    site_reachable: reachable,
    last_contact: iso(contact),
    age_seconds: contact === null ? null : reachable ? 0 : Math.max(0, Math.floor((ctx.now - contact) / 1000)),
  };
}
