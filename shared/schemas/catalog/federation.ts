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
  /** The resource's name at its home site (additive, federation/index). */
  name?: string | null;
  /** Its status at its home site (Nova vm_state, Cinder/Neutron status). */
  status?: string | null;
  /** When the home site last saw it change, on the home site's clock (ms). */
  updated_at?: number | null;
}

/** Id is `${project_id}:${resource}`. */
export interface QuotaLimit {
  id: string;
  project_id: string;
  resource: string;
  /** -1 is unlimited. */
  limit: number;
  /**
   * Escrow split of `limit` (federation/quota): site id -> initial share, and the split's version. Grants of another
   * version are void. Absent on records written before escrow (then the limit is split when first needed).
   */
  shares?: Record<string, number>;
  version?: string;
  set_at?: number;
  set_by?: string;
}

/**
 * Quota escrow transfers given away by one site (id `${site_id}:${project_id}:${resource}`): cumulative amounts per
 * receiving site (they outlive re-splits; `version` is the ledger's, `v1`). Written only by `site_id` (the giver), so
 * counters only grow.
 */
export interface QuotaGrant {
  id: string;
  site_id: string;
  project_id: string;
  resource: string;
  version: string;
  /** Receiving site id -> total amount given to it. */
  given: Record<string, number>;
  /** What `site_id` consumes of the resource, as it last published it (periodically), and when (its clock, ms). */
  used?: number;
  used_at?: number;
}

/**
 * An admin's resolution of a conflict-ledger entry (id = the ledger entry's id, which is the same at every site),
 * replicated so every site shows the entry resolved (`POST /federation/v1/conflicts/{id}/resolve`).
 */
export interface ConflictResolution {
  id: string;
  action: 'rename' | 'merge' | 'accept';
  /** rename: the record renamed and its new name; merge: the survivor and the records merged into it. */
  record_id?: string;
  name?: string;
  into?: string;
  merged?: string[];
  resolved_by: { user_id: string; user_name: string; site_id: string };
  resolved_at: number;
}
