/**
 * The conflict ledger's entries and the pure functions that derive them. Every site that merges the same
 * concurrent writes derives the same entry (same id, winner, losers and reason); only `detected_at` is local.
 *
 * Winner rules:
 * - concurrent writes of one record (`concurrent_update`, `update_after_delete`): Automerge's own deterministic
 *   winner for a map key — the op with the highest Lamport counter, ties broken by the higher actor id (the site id's
 *   bytes). Every replica holding the same operations shows the same winner, with no coordination;
 * - the same (domain, name) on several records (`duplicate_name`): nothing is dropped; the lowest id (UUIDv7: the
 *   first created) is the winner that keeps the name, the others are listed for an admin to rename or merge.
 */
import type { CollectionName } from '../../shared/schemas/catalog/index.ts';
import { decodeEnvelope, isTombstone } from './envelope.ts';
import { digest } from './layout.ts';

/** What kind of divergence a ledger entry records. */
export type ConflictKind = 'concurrent_update' | 'update_after_delete' | 'duplicate_name';

/** One side of a conflict. */
export interface ConflictVersion {
  record_id: string;
  /** Site that wrote this version. */
  site_id: string;
  /** When it was written (ms since epoch, writer's clock). */
  written_at: number;
  deleted: boolean;
}

/** A ledger entry (schema v1, additive). */
export interface ConflictEntry {
  /** Deterministic: the same conflict has the same id at every site. */
  id: string;
  collection: CollectionName;
  record_id: string;
  kind: ConflictKind;
  winner: ConflictVersion;
  losers: ConflictVersion[];
  reason: string;
  /** Local time of detection (ms). */
  detected_at: number;
}

/** One concurrent value of a map key, as Automerge reports it (`getAll`): the envelope string and its op id. */
export interface ConcurrentValue {
  value: unknown;
  opId: string;
}

/** A live envelope's record as JSON (what was written, without who and when). */
function bodyOf(value: unknown): string {
  const env = decodeEnvelope(value);
  return env && !isTombstone(env) ? JSON.stringify(env.r) : `\u0000${String(value)}`;
}

/**
 * The ledger entry for a record with several concurrent values, or undefined when there is a single value.
 * `winnerValue` is what the document shows for the key (Automerge's winner).
 */
export function concurrentWriteConflict(
  collection: CollectionName,
  recordId: string,
  values: readonly ConcurrentValue[],
  winnerValue: unknown,
  now: number,
): ConflictEntry | undefined {
  if (values.length < 2) return undefined;
  const versions: Array<{ v: ConflictVersion; opId: string; winner: boolean }> = [];
  for (const { value, opId } of values) {
    const env = decodeEnvelope(value);
    if (!env) continue;
    const v = { record_id: recordId, site_id: env.s, written_at: env.t, deleted: isTombstone(env) };
    versions.push({ v, opId, winner: value === winnerValue });
  }
  const win = versions.find((x) => x.winner);
  if (!win || versions.length < 2) return undefined;
  // The same content written concurrently (sites bootstrapping the same default records) lost nothing: no entry.
  const bodies = new Set(values.map(({ value }) => bodyOf(value)));
  if (bodies.size === 1 && !versions.some((x) => x.v.deleted)) return undefined;
  const losers = versions.filter((x) => x !== win);
  const kind = versions.some((x) => x.v.deleted) && versions.some((x) => !x.v.deleted);
  const opIds = versions.map((x) => x.opId).sort();
  return {
    id: `cf-${digest(`${collection}\u0000${recordId}\u0000${opIds.join(',')}`)}`,
    collection,
    record_id: recordId,
    kind: kind ? 'update_after_delete' : 'concurrent_update',
    winner: win.v,
    losers: losers.map((x) => x.v).sort((a, b) => a.site_id.localeCompare(b.site_id) || a.written_at - b.written_at),
    reason: kind
      ? `deleted and updated concurrently; kept the ${win.v.deleted ? 'delete' : 'update'} from site ${win.v.site_id} (Automerge's deterministic winner: highest Lamport counter, then actor)`
      : `updated concurrently at ${versions.length} sites; kept the version from site ${win.v.site_id} (Automerge's deterministic winner: highest Lamport counter, then actor)`,
    detected_at: now,
  };
}
