/**
 * The catalog's change functions. Pure: the time and the writing site come in as arguments (a lint rule forbids
 * `Date` and `crypto` in this folder), so every site computing the same change writes the same bytes of content.
 */
import { decodeEnvelope, type Envelope, isTombstone } from './envelope.ts';

/** The part of a document a change function needs (an Automerge handle's root map). */
export interface RecordMap {
  get(id: string): unknown;
  put(id: string, value: string): void;
}

/** Who writes and when. */
export interface WriteContext {
  now: number;
  site: string;
  /** Creation stamp for a record that does not exist yet: list order (strictly increasing per site, ms-like). */
  created: number;
}

/** Writes a whole record, keeping its first creation time if it already existed (even as a tombstone). */
export function putRecord(map: RecordMap, record: { id: string }, ctx: WriteContext): void {
  const prev = decodeEnvelope(map.get(record.id));
  const env: Envelope = { t: ctx.now, s: ctx.site, c: prev && !isTombstone(prev) ? prev.c : ctx.created, r: record };
  map.put(record.id, JSON.stringify(env));
}

/** Replaces a live record by a tombstone; returns false (and writes nothing) when there is no live record. */
export function deleteRecord(map: RecordMap, id: string, ctx: WriteContext): boolean {
  const prev = decodeEnvelope(map.get(id));
  if (!prev || isTombstone(prev)) return false;
  map.put(id, JSON.stringify({ t: ctx.now, s: ctx.site, c: prev.c, d: 1 } satisfies Envelope));
  return true;
}
