/**
 * Names that must be unique per domain (Keystone) or globally (domains, flavors). The store never refuses a record
 * (partitions make collisions legal); after a merge it finds (domain, name) groups with several ids and records them.
 */
import type { CatalogCollections, CollectionName } from '../../shared/schemas/catalog/index.ts';
import type { ConflictEntry, ConflictVersion } from './conflicts.ts';
import { digest } from './layout.ts';

/** Collections whose names are unique per (domain, name). */
export const NAMED_COLLECTIONS: ReadonlySet<CollectionName> = new Set<CollectionName>([
  'users',
  'projects',
  'domains',
  'groups',
  'roles',
  'flavors',
]);

/** The uniqueness key of a record (`<domain>\0<name>`), or undefined for collections without unique names. */
export function nameKey<C extends CollectionName>(collection: C, record: CatalogCollections[C]): string | undefined {
  if (!NAMED_COLLECTIONS.has(collection)) return undefined;
  const r = record as { name?: unknown; domain_id?: unknown };
  if (typeof r.name !== 'string') return undefined;
  const domain = typeof r.domain_id === 'string' ? r.domain_id : '';
  return `${domain}\u0000${r.name}`;
}

/** The ledger entry for several records sharing one name key; the lowest id keeps the name. */
export function duplicateNameConflict(
  collection: CollectionName,
  key: string,
  versions: readonly ConflictVersion[],
  now: number,
): ConflictEntry | undefined {
  if (versions.length < 2) return undefined;
  const sorted = [...versions].sort((a, b) => (a.record_id < b.record_id ? -1 : a.record_id > b.record_id ? 1 : 0));
  const [winner, ...losers] = sorted;
  if (!winner) return undefined;
  const [domain, name] = key.split('\u0000');
  const where = domain ? `in domain ${domain}` : 'globally';
  return {
    id: `dn-${digest(`${collection}\u0000${key}\u0000${sorted.map((v) => v.record_id).join(',')}`)}`,
    collection,
    record_id: winner.record_id,
    kind: 'duplicate_name',
    winner,
    losers,
    reason: `${sorted.length} ${collection} named "${name}" ${where} after merging partitions; all are kept, the lowest id (first created) keeps the name; rename or merge the others`,
    detected_at: now,
  };
}
