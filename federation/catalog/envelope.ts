/**
 * How one record is stored in its document: the root map's key is the record id and the value is one JSON string
 * (an envelope), not a nested map. Why a string: `put` is a whole-record upsert, so concurrent writes of one record
 * must resolve to one whole version (a field-wise merge could pair a password hash with another write's `enabled`);
 * one string is one Automerge op per write, which is also what keeps changes cheap (bench/catalog.ts).
 * Deletes write a tombstone envelope rather than removing the key, so a concurrent "deleted here, updated there"
 * stays visible as a conflict of two values instead of disappearing.
 */

/** A live record as stored. `t`: written at (ms), `s`: writing site, `c`: first created at (ms, list order). */
export interface LiveEnvelope {
  t: number;
  s: string;
  c: number;
  r: { id: string };
}

/** A deleted record as stored. */
export interface TombstoneEnvelope {
  t: number;
  s: string;
  c: number;
  d: 1;
}

/** A stored record version. */
export type Envelope = LiveEnvelope | TombstoneEnvelope;

/** True for a tombstone. */
export function isTombstone(env: Envelope): env is TombstoneEnvelope {
  return 'd' in env;
}

/** Parses a stored value; undefined for anything that is not an envelope (foreign or corrupt values are skipped). */
export function decodeEnvelope(value: unknown): Envelope | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const env = JSON.parse(value) as Partial<LiveEnvelope & TombstoneEnvelope>;
    if (typeof env.t !== 'number' || typeof env.s !== 'string' || typeof env.c !== 'number') return undefined;
    if (env.d === 1) return { t: env.t, s: env.s, c: env.c, d: 1 };
    if (typeof env.r === 'object' && env.r !== null && typeof env.r.id === 'string') return env as LiveEnvelope;
    return undefined;
  } catch {
    return undefined;
  }
}
