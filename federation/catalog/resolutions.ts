/**
 * Admin resolutions of conflict-ledger entries (DESIGN.md: "the same user name created in two partitions yields two
 * users; the ledger shows it and an admin can merge/rename"). Pure: reads the catalog, returns the writes to apply
 * as one batch, the resolution record included (replicated, so every site shows the entry resolved).
 *
 * - `rename` (duplicate_name): gives one of the entry's records a new name, free in its scope (domain, or global);
 * - `merge` (duplicate_name of users or groups): the survivor `into` takes over the others' role assignments and
 *   group memberships; the others are deleted;
 * - `accept` (any kind): acknowledges the deterministic winner as it stands.
 */
import { BrumeError, badRequest, conflict } from '../../shared/errors.ts';
import type { CatalogStore, CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { CollectionName, ConflictResolution } from '../../shared/schemas/catalog/index.ts';
import type { ConflictEntry } from './conflicts.ts';
import { nameKey } from './names.ts';

/** A resolution request (validated shape). */
export type ResolveRequest =
  | { action: 'rename'; name: string; record_id?: string | undefined }
  | { action: 'merge'; into: string }
  | { action: 'accept' };

/** Who resolves. */
export interface Resolver {
  user_id: string;
  user_name: string;
  site_id: string;
}

type Reader = Pick<CatalogStore, 'get' | 'list'>;

const idsOf = (e: ConflictEntry): string[] => [e.winner.record_id, ...e.losers.map((l) => l.record_id)];

/** The catalog writes that carry out `req` on `entry`; throws a 4xx BrumeError for anything not applicable. */
export function planResolution(
  catalog: Reader,
  entry: ConflictEntry,
  req: ResolveRequest,
  who: Resolver,
  now: number,
): { writes: CatalogWrite[]; resolution: ConflictResolution } {
  if (catalog.get('conflict_resolutions', entry.id)) {
    throw conflict('federation.conflict_resolved', `Conflict ${entry.id} is already resolved.`);
  }
  const base = { id: entry.id, resolved_by: who, resolved_at: now };
  let writes: CatalogWrite[] = [];
  let resolution: ConflictResolution;
  if (req.action === 'accept') {
    resolution = { ...base, action: 'accept' };
  } else if (req.action === 'rename') {
    const target = pickRenamed(entry, req.record_id);
    writes = [renameWrite(catalog, entry.collection, target, req.name)];
    resolution = { ...base, action: 'rename', record_id: target, name: req.name };
  } else {
    const merged = idsOf(entry).filter((id) => id !== req.into);
    if (merged.length === idsOf(entry).length) {
      throw badRequest(
        'federation.bad_resolution',
        `into must be one of the entry's records: ${idsOf(entry).join(', ')}.`,
      );
    }
    writes = mergeWrites(catalog, entry, req.into, merged);
    resolution = { ...base, action: 'merge', into: req.into, merged };
  }
  writes.push({ op: 'put', collection: 'conflict_resolutions', record: resolution });
  return { writes, resolution };
}

function requireDuplicateName(entry: ConflictEntry, action: string): void {
  if (entry.kind !== 'duplicate_name') {
    throw badRequest('federation.bad_resolution', `${action} applies to duplicate_name conflicts; use accept.`);
  }
}

function pickRenamed(entry: ConflictEntry, recordId: string | undefined): string {
  requireDuplicateName(entry, 'rename');
  if (recordId === undefined) {
    const [only, ...more] = entry.losers;
    if (!only || more.length > 0) {
      throw badRequest('federation.bad_resolution', 'record_id is required: the entry has several other records.');
    }
    return only.record_id;
  }
  if (!idsOf(entry).includes(recordId)) {
    throw badRequest('federation.bad_resolution', `record_id must be one of ${idsOf(entry).join(', ')}.`);
  }
  return recordId;
}

function renameWrite(catalog: Reader, collection: CollectionName, id: string, name: string): CatalogWrite {
  const record = catalog.get(collection, id);
  if (!record) throw conflict('federation.record_gone', `${collection} ${id} no longer exists.`);
  const renamed = { ...record, name } as typeof record;
  const key = nameKey(collection, renamed);
  const taken = catalog.list(collection).some((r) => r.id !== id && nameKey(collection, r) === key);
  if (taken) throw conflict('federation.name_taken', `The name "${name}" is already used in that scope.`);
  return { op: 'put', collection, record: renamed } as CatalogWrite;
}

/** Role assignment id with `actor` in place of the actor id (`${actor_type}:${actor_id}:…`). */
const reassignedId = (id: string, from: string, to: string): string => {
  const parts = id.split(':');
  if (parts[1] === from) parts[1] = to;
  return parts.join(':');
};

function mergeWrites(catalog: Reader, entry: ConflictEntry, into: string, merged: string[]): CatalogWrite[] {
  requireDuplicateName(entry, 'merge');
  const collection = entry.collection;
  if (collection !== 'users' && collection !== 'groups') {
    throw badRequest('federation.bad_resolution', 'merge applies to users and groups; rename the others.');
  }
  if (!catalog.get(collection, into))
    throw conflict('federation.record_gone', `${collection} ${into} no longer exists.`);
  const actorType = collection === 'users' ? 'user' : 'group';
  const gone = new Set(merged.filter((id) => catalog.get(collection, id)));
  const writes: CatalogWrite[] = [];
  const written = new Set<string>();
  const put = (w: CatalogWrite & { op: 'put' }) => {
    if (written.has(`${w.collection}\u0000${w.record.id}`) || catalog.get(w.collection, w.record.id)) return;
    written.add(`${w.collection}\u0000${w.record.id}`);
    writes.push(w);
  };
  for (const a of catalog.list('role_assignments')) {
    if (a.actor_type !== actorType || !gone.has(a.actor_id)) continue;
    writes.push({ op: 'delete', collection: 'role_assignments', id: a.id });
    put({
      op: 'put',
      collection: 'role_assignments',
      record: { ...a, id: reassignedId(a.id, a.actor_id, into), actor_id: into },
    });
  }
  for (const m of catalog.list('group_memberships')) {
    const field = collection === 'users' ? m.user_id : m.group_id;
    if (!gone.has(field)) continue;
    writes.push({ op: 'delete', collection: 'group_memberships', id: m.id });
    const next = collection === 'users' ? { ...m, user_id: into } : { ...m, group_id: into };
    put({ op: 'put', collection: 'group_memberships', record: { ...next, id: `${next.group_id}:${next.user_id}` } });
  }
  for (const id of gone) writes.push({ op: 'delete', collection, id });
  return writes;
}

/** True for errors planResolution throws on purpose (4xx). */
export const isResolutionError = (err: unknown): err is BrumeError => err instanceof BrumeError;
