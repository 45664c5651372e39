/**
 * Whole-document snapshots decoded once per bytes and shared by every replica of the process that adopts the same
 * bytes (a simulator handing one document to hundreds of replicas): the winning records, frozen, and the records'
 * home keys, so a replica holding the document cold needs no home-index entry of its own for them.
 */
import type { CollectionName } from '../../shared/schemas/catalog/index.ts';
import { loadDoc } from '../automerge/backend.ts';
import { decodeEnvelope, type Envelope } from '../catalog/envelope.ts';

/** A whole-document snapshot decoded once: what adopting it without loading it needs. */
export interface DecodedSnapshot {
  heads: string[];
  changes: number;
  /** Every key's winning envelope (deep-frozen: shared by every replica that adopts the same bytes). */
  records: Array<{ id: string; env: Envelope | undefined }>;
  /** Whether some key holds concurrent values (such a document is merged the ordinary way, for the ledger). */
  conflicted: boolean;
  /** The greatest creation stamp of its records (0: none). */
  maxStamp: number;
  /** Hashes of every change in the document's history (is a replica's version an ancestor of this one?). */
  history?: ReadonlySet<string>;
  /** The records' home keys (`homeKey`), computed on first adoption. */
  homes?: ReadonlySet<string>;
}

/**
 * Snapshots decoded so far, by the identity of their bytes (bytes received from the network are fresh arrays:
 * decoded once each, then dropped with their bytes).
 */
const decodedSnapshots = new WeakMap<Uint8Array, DecodedSnapshot>();

/**
 * The document each record of an adopted snapshot lives in, shared by the replicas of the process (a record keeps
 * its home document for life, so every replica agrees). A replica trusts an entry only for a document it holds
 * cold as bytes whose decoded records include it (`sharedHomeOf`).
 */
const sharedHomes = new Map<string, string>();

/** The key of a record in a home index. */
export const homeKey = (collection: CollectionName, id: string): string => `${collection}\u0000${id}`;

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Raw materialisation and patches give Automerge ImmutableStrings for scalar strings; `toString()` is the value. */
export const text = (v: unknown): unknown => (typeof v === 'object' && v !== null ? String(v) : v);

/** Whether these very bytes were decoded already (handed to several replicas). */
export const isDecoded = (bytes: Uint8Array): boolean => decodedSnapshots.has(bytes);

/** The decoded form of these very bytes, if they were decoded. */
export const decodedOf = (bytes: Uint8Array): DecodedSnapshot | undefined => decodedSnapshots.get(bytes);

/** Decodes a document's bytes (cached by their identity); `withHistory` also lists every change's hash. */
export function decodeSnapshot(bytes: Uint8Array, withHistory = false): DecodedSnapshot {
  const cached = decodedSnapshots.get(bytes);
  if (cached && (cached.history || !withHistory)) return cached;
  const h = loadDoc('00', [bytes]);
  try {
    const heads = h.getHeads();
    const records: DecodedSnapshot['records'] = [];
    let conflicted = false;
    let maxStamp = 0;
    for (const p of h.diff([], heads)) {
      const id = p.path[0];
      if (typeof id !== 'string' || p.path.length !== 1 || p.action !== 'put') continue;
      if (p.conflict === true) conflicted = true;
      const env = deepFreeze(decodeEnvelope(text(p.value)));
      if (env) maxStamp = Math.max(maxStamp, env.c);
      records.push({ id, env });
    }
    const out: DecodedSnapshot = { heads, changes: h.stats().numChanges, records, conflicted, maxStamp };
    if (withHistory) out.history = new Set(h.getChangesMeta([]).map((c: { hash: string }) => c.hash));
    decodedSnapshots.set(bytes, out);
    return out;
  } finally {
    h.free();
  }
}

/**
 * The home keys of a decoded snapshot of document `doc` (of `collection`), registered in the shared home index on
 * first use: one string per record for the whole process, not one per replica.
 */
export function homesOf(decoded: DecodedSnapshot, collection: CollectionName, doc: string): ReadonlySet<string> {
  if (decoded.homes) return decoded.homes;
  const homes = new Set<string>();
  for (const r of decoded.records) {
    const k = homeKey(collection, r.id);
    homes.add(k);
    if (!sharedHomes.has(k)) sharedHomes.set(k, doc);
  }
  decoded.homes = homes;
  return homes;
}

/** The document a shared home entry names for `key`, if the process has one. */
export const sharedHomeOf = (key: string): string | undefined => sharedHomes.get(key);
