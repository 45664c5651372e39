/** Replicated federation records: membership, the global resource index, quotas. Schema v1, additive. */

export interface Site {
  id: string;
  name: string;
  region: string;
  /** Base URL of the site's API. */
  url: string;
  created_at: number;
  /** Last time this site was heard from (as written by the site itself). */
  last_seen: number;
}

/** Id is the resource id; each site writes only entries whose `site_id` is itself. */
export interface ResourceIndexEntry {
  id: string;
  type: string;
  site_id: string;
  project_id: string | null;
}

/** Id is `${project_id}:${resource}`. */
export interface QuotaLimit {
  id: string;
  project_id: string;
  resource: string;
  /** -1 is unlimited. */
  limit: number;
}
