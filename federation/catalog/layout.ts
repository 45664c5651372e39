/**
 * Where a catalog record lives: one Automerge document per (collection, owner, hash bucket), each holding at most
 * ~1k records, because the cost of an Automerge change grows with the document's size
 * (../shared/notes/toolchain-and-stack.md). Layout v1; bucket counts only ever grow in a new layout version.
 *
 * Owner: collections whose records name their writer (`resource_index.site_id`, `sites.id`, `signing_keys.site_id`)
 * are sharded by that site, so those documents have one writer each. Every other collection is shared (owner `*`):
 * a record's home document depends on its id only, so concurrent writes of one record meet in one document and
 * Automerge resolves them there, deterministically, with no second layer of cross-document resolution.
 */
import type { CatalogCollections, CollectionName } from '../../shared/schemas/catalog/index.ts';

/** Catalog document layout version (part of every document key). */
export const LAYOUT_VERSION = 1;
/** Owner of shared (multi-writer) shards. */
export const SHARED_OWNER = '*';

/** Buckets per (collection, owner): sized so that each document stays near or below 1k records at the expected scale. */
const BUCKETS: Record<CollectionName, number> = {
  domains: 1,
  projects: 16,
  users: 64,
  groups: 4,
  group_memberships: 16,
  roles: 1,
  role_assignments: 64,
  implied_roles: 1,
  services: 1,
  endpoints: 1,
  regions: 1,
  revocations: 16,
  signing_keys: 1,
  flavors: 1,
  flavor_access: 4,
  keypairs: 16,
  images: 16,
  image_members: 16,
  sites: 1,
  resource_index: 128,
  quota_limits: 16,
  credentials: 4,
  policies: 1,
  endpoint_groups: 1,
  endpoint_group_projects: 1,
  oauth_consumers: 1,
  domain_configs: 1,
  quota_grants: 16,
  conflict_resolutions: 1,
};

/** The site that owns a record, or {@link SHARED_OWNER}. */
export function ownerOf<C extends CollectionName>(collection: C, record: CatalogCollections[C]): string {
  if (collection === 'resource_index') return (record as CatalogCollections['resource_index']).site_id;
  if (collection === 'signing_keys') return (record as CatalogCollections['signing_keys']).site_id;
  if (collection === 'quota_grants') return (record as CatalogCollections['quota_grants']).site_id;
  if (collection === 'sites') return record.id;
  return SHARED_OWNER;
}

/** 32-bit FNV-1a of a string's UTF-16 code units: stable across sites and runtimes. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** 64-bit-ish digest (two FNV-1a lanes) as 16 hex characters; for ids and digests, not security. */
export function digest(text: string): string {
  return fnv1a(text).toString(16).padStart(8, '0') + fnv1a(text, 0x01234567).toString(16).padStart(8, '0');
}

/** The document key of a record: `v1/<collection>/<owner>/<bucket>`. */
export function docKeyOf<C extends CollectionName>(collection: C, record: CatalogCollections[C]): string {
  const bucket = fnv1a(record.id) % BUCKETS[collection];
  return `v${LAYOUT_VERSION}/${collection}/${encodeURIComponent(ownerOf(collection, record))}/${bucket}`;
}

/** The parts of a document key, or undefined for keys this layout does not know (newer versions are skipped). */
export function parseDocKey(key: string): { collection: CollectionName; owner: string; bucket: number } | undefined {
  const [v, collection, owner, bucket] = key.split('/');
  if (v !== `v${LAYOUT_VERSION}` || collection === undefined || owner === undefined || bucket === undefined) {
    return undefined;
  }
  if (!Object.hasOwn(BUCKETS, collection)) return undefined;
  return { collection: collection as CollectionName, owner: decodeURIComponent(owner), bucket: Number(bucket) };
}
