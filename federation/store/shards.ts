import type { CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { CollectionName } from '../../shared/schemas/catalog/index.ts';
import { type DocHandle, loadDoc, newDoc } from '../automerge/backend.ts';
import { deleteRecord, putRecord, type RecordMap } from '../catalog/changes.ts';
import type { ConcurrentValue, ConflictVersion } from '../catalog/conflicts.ts';
import { decodeEnvelope, type Envelope, isTombstone, type LiveEnvelope } from '../catalog/envelope.ts';
import { docKeyOf, parseDocKey } from '../catalog/layout.ts';
import { type DecodedSnapshot, decodedOf, homeKey, homesOf, sharedHomeOf, text } from './decoded-snapshots.ts';
import { type LiveDocBudget, type LiveDocHolder, unboundedLiveDocs } from './live-docs.ts';
import type { DocChunk } from './persistence.ts';

/** A record version read out of a document. */
export interface ShardRecord {
  collection: CollectionName;
  id: string;
  /** Undefined when the key holds no envelope this layout understands. */
  env: Envelope | undefined;
  /** Concurrent values of the key (more than one: a conflict). */
  values: ConcurrentValue[];
  /** The winning stored value. */
  value: unknown;
}

export { type DecodedSnapshot, decodeSnapshot, isDecoded } from './decoded-snapshots.ts';

const mapOf = (doc: DocHandle): RecordMap => ({
  get: (id) => doc.get('_root', id),
  put: (id, value) => doc.put('_root', id, value),
});

/** A document kept compact (evicted by the live-document budget): its whole saved state and what sync asks of it. */
interface ColdDoc {
  bytes: Uint8Array;
  heads: string[];
  changes: number;
}

/**
 * The catalog's Automerge documents in memory: which document holds which record (the home index), local batches
 * committed into them, and the records a merge changed. No I/O: the store persists the chunks this returns.
 * Documents beyond the {@link LiveDocBudget} are kept as saved bytes with their heads and change count, and loaded
 * again when used; the budget evicts only when the store calls `trim()` between operations.
 */
export class Shards implements LiveDocHolder {
  /** Live documents (wasm handles). */
  readonly #docs = new Map<string, DocHandle>();
  /** Evicted documents. A key is in at most one of `#docs` and `#cold`. */
  readonly #cold = new Map<string, ColdDoc>();
  readonly #budget: LiveDocBudget;
  /** Heads at the last chunk handed out per document (`saveSince` baseline). */
  readonly #saved = new Map<string, string[]>();
  /**
   * The home index: which document holds each record. Records of a document adopted cold (and not used since) are
   * not in it: the shared index of decoded snapshots has them (`#homeOf`), one entry per process, not per replica.
   */
  readonly #home = new Map<string, string>();
  readonly #actor: string;
  /** Last creation stamp handed out or seen (a hybrid logical clock: max(now, last + 1)). */
  #stamp = 0;

  constructor(actor: string, budget: LiveDocBudget = unboundedLiveDocs()) {
    this.#actor = actor;
    this.#budget = budget;
  }

  keys(): string[] {
    return this.#cold.size === 0 ? [...this.#docs.keys()] : [...this.#docs.keys(), ...this.#cold.keys()];
  }

  /** The document (loaded back if it was evicted), or undefined when not held. */
  get(doc: string): DocHandle | undefined {
    const h = this.#docs.get(doc);
    if (h) {
      this.#budget.touch(this, doc);
      return h;
    }
    const cold = this.#cold.get(doc);
    if (!cold) return undefined;
    this.#warm(doc, cold);
    const loaded = loadDoc(this.#actor, [cold.bytes]);
    this.#docs.set(doc, loaded);
    this.#budget.touch(this, doc, true);
    return loaded;
  }

  /** The document, created empty if unknown (a peer announced it, or a first write goes there). */
  ensure(doc: string): DocHandle {
    let h = this.get(doc);
    if (!h) {
      h = newDoc(this.#actor);
      this.#docs.set(doc, h);
      this.#saved.set(doc, []);
      this.#budget.touch(this, doc);
    }
    return h;
  }

  /** Heads of a document (empty when not held), without loading an evicted one. */
  heads(doc: string): string[] {
    return this.#cold.get(doc)?.heads ?? this.#docs.get(doc)?.getHeads() ?? [];
  }

  /** Changes in a document's history (0 when not held), without loading an evicted one. */
  changeCount(doc: string): number {
    return this.#cold.get(doc)?.changes ?? this.#docs.get(doc)?.stats().numChanges ?? 0;
  }

  /** The whole document's bytes (`save`), without loading an evicted one; undefined when not held. */
  save(doc: string): Uint8Array | undefined {
    return this.#cold.get(doc)?.bytes ?? this.#docs.get(doc)?.save();
  }

  /**
   * Merges a whole document received from a peer. One the replica does not hold yet is loaded straight from the
   * bytes (about a third of the cost of an empty document plus an incremental load).
   */
  adopt(doc: string, bytes: Uint8Array): DocHandle {
    if (this.#docs.has(doc) || this.#cold.has(doc)) {
      const h = this.ensure(doc);
      h.loadIncremental(bytes);
      return h;
    }
    const h = loadDoc(this.#actor, [bytes]);
    this.#docs.set(doc, h);
    this.#saved.set(doc, []);
    this.#budget.touch(this, doc);
    return h;
  }

  /**
   * Takes a whole document without loading it (kept as its bytes until used), its records indexed: one this
   * replica does not hold, or a descendant of the version it holds (a fast-forward). The caller stores `bytes` as
   * the document's one snapshot. Returns false (nothing done) for a document that is not a descendant.
   */
  adoptCold(doc: string, bytes: Uint8Array, decoded: DecodedSnapshot): boolean {
    const parsed = parseDocKey(doc);
    if (!parsed) return false;
    // A document held already is replaced only by a descendant (its history contains every change held here).
    const held = this.heads(doc);
    if (held.length > 0 && !held.every((h) => decoded.history?.has(h))) return false;
    const live = this.#docs.get(doc);
    if (live) {
      this.#docs.delete(doc);
      this.#budget.forget(this, doc);
      live.free();
    }
    this.#cold.set(doc, { bytes, heads: decoded.heads, changes: decoded.changes });
    this.#saved.set(doc, decoded.heads);
    homesOf(decoded, parsed.collection, doc);
    this.#stamp = Math.max(this.#stamp, decoded.maxStamp);
    return true;
  }

  /** A cold document becomes live: its records found through the shared index go into this replica's own. */
  #warm(doc: string, cold: ColdDoc): void {
    this.#cold.delete(doc);
    const homes = decodedOf(cold.bytes)?.homes;
    if (homes) for (const k of homes) this.#home.set(k, doc);
  }

  /** The document holding a record: this replica's own index, else the shared one for a document held cold. */
  #homeOf(key: string): string | undefined {
    const own = this.#home.get(key);
    if (own !== undefined) return own;
    const doc = sharedHomeOf(key);
    const cold = doc === undefined ? undefined : this.#cold.get(doc);
    return cold && decodedOf(cold.bytes)?.homes?.has(key) ? doc : undefined;
  }

  /** Replaces a document by its stored chunks (start-up, or undoing a batch whose write failed). */
  load(doc: string, chunks: readonly Uint8Array[]): DocHandle {
    this.#docs.get(doc)?.free();
    const cold = this.#cold.get(doc);
    if (cold) this.#warm(doc, cold);
    const h = loadDoc(this.#actor, chunks);
    this.#docs.set(doc, h);
    this.#saved.set(doc, h.getHeads());
    this.#budget.touch(this, doc);
    return h;
  }

  /** Keeps a live document compact (the budget evicts it): its saved bytes, heads and change count. */
  evict(doc: string): void {
    const h = this.#docs.get(doc);
    if (!h) return;
    this.#cold.set(doc, { bytes: h.save(), heads: h.getHeads(), changes: h.stats().numChanges });
    this.#docs.delete(doc);
    h.free();
  }

  /** Evicts least recently used documents of every store sharing the budget down to its limit (between operations). */
  trim(): void {
    this.#budget.trim();
  }

  /** Bytes of a document not yet handed out as a chunk (empty when nothing is new). */
  pending(doc: string): DocChunk | undefined {
    const saved = this.#saved.get(doc) ?? [];
    if (!this.#docs.has(doc) && sameHeads(this.heads(doc), saved)) return undefined;
    const h = this.get(doc);
    if (!h) return undefined;
    const heads = h.getHeads();
    if (sameHeads(heads, saved)) return undefined;
    this.#saved.set(doc, heads);
    return { doc, bytes: h.saveSince(saved) };
  }

  /** Marks a document's current state as stored (after a compaction snapshot). */
  markSaved(doc: string): void {
    if (this.#docs.has(doc) || this.#cold.has(doc)) this.#saved.set(doc, this.heads(doc));
  }

  /** The document that holds a record (live or tombstone), if any. */
  homeOf(collection: CollectionName, id: string): string | undefined {
    return this.#homeOf(homeKey(collection, id));
  }

  /**
   * Writes a batch (already validated) and commits each touched document once; returns the new chunks.
   * A record keeps its home document for life, so every site writes a given record into the same document.
   */
  commit(writes: readonly CatalogWrite[], at: { now: number; site: string }): DocChunk[] {
    const touched = new Set<string>();
    for (const w of writes) {
      const id = w.op === 'put' ? w.record.id : w.id;
      const hk = homeKey(w.collection, id);
      let doc = this.#homeOf(hk);
      if (w.op === 'delete') {
        if (doc === undefined || !deleteRecord(mapOf(this.ensure(doc)), id, { ...at, created: 0 })) continue;
      } else {
        doc ??= docKeyOf(w.collection, w.record);
        this.#stamp = Math.max(at.now, this.#stamp + 1);
        putRecord(mapOf(this.ensure(doc)), w.record, { ...at, created: this.#stamp });
        this.#home.set(hk, doc);
      }
      touched.add(doc);
    }
    const chunks: DocChunk[] = [];
    for (const doc of touched) {
      this.#docs.get(doc)?.commit(null, Math.floor(at.now / 1000));
      const c = this.pending(doc);
      if (c) chunks.push(c);
    }
    return chunks;
  }

  /** Every live record of a document (start-up); indexes every key, tombstones included. */
  scan(doc: string): Array<{ collection: CollectionName; env: LiveEnvelope }> {
    const h = this.get(doc);
    const parsed = parseDocKey(doc);
    if (!h || !parsed) return [];
    const out: Array<{ collection: CollectionName; env: LiveEnvelope }> = [];
    // One materialisation of the root map is ~3x faster than a get per key.
    const root = h.materialize('/') as Record<string, unknown>;
    for (const id of Object.keys(root)) {
      this.#home.set(homeKey(parsed.collection, id), doc);
      const env = decodeEnvelope(text(root[id]));
      if (env) this.#stamp = Math.max(this.#stamp, env.c);
      if (env && !isTombstone(env)) out.push({ collection: parsed.collection, env });
    }
    return out;
  }

  /** The records of `doc` whose value changed since `before` (after a merge), indexed as they come. */
  changedSince(doc: string, before: string[]): ShardRecord[] {
    const h = this.get(doc);
    const parsed = parseDocKey(doc);
    if (!h || !parsed) return [];
    // The diff's patches carry the winning value and a conflict flag: only conflicting keys need `getAll`.
    const changed = new Map<string, { value: unknown; conflict: boolean }>();
    for (const p of h.diff(before, h.getHeads())) {
      const id = p.path[0];
      if (typeof id !== 'string') continue;
      if (p.path.length === 1 && p.action === 'put')
        changed.set(id, { value: text(p.value), conflict: p.conflict === true });
      else changed.set(id, { value: h.get('_root', id), conflict: true });
    }
    const out: ShardRecord[] = [];
    for (const [id, { value, conflict }] of changed) {
      this.#home.set(homeKey(parsed.collection, id), doc);
      const values = conflict
        ? h.getAll('_root', id).map((v) => ({ value: v[1], opId: String(v[2] ?? '') }))
        : [{ value, opId: '' }];
      const current = conflict ? h.get('_root', id) : value;
      out.push({ collection: parsed.collection, id, env: decodeEnvelope(current), values, value: current });
    }
    return out;
  }

  /** Who wrote the current version of a record and when (ledger entries). */
  version(collection: CollectionName, id: string): ConflictVersion {
    const doc = this.#homeOf(homeKey(collection, id));
    const env = doc === undefined ? undefined : decodeEnvelope(this.get(doc)?.get('_root', id));
    return { record_id: id, site_id: env?.s ?? '', written_at: env?.t ?? 0, deleted: !env || isTombstone(env) };
  }

  /** Frees every document (the store is closing). */
  free(): void {
    for (const [doc, h] of this.#docs) {
      h.free();
      this.#budget.forget(this, doc);
    }
    this.#docs.clear();
    this.#cold.clear();
  }
}

/** True when two head lists name the same changes. */
export function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  // Replicas holding one snapshot cold share its heads array; most documents have one head.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  if (a.length === 1) return a[0] === b[0];
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}
