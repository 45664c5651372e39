import { CatalogMemory } from '../../shared/catalog-memory.ts';
import { BrumeError, forbidden } from '../../shared/errors.ts';
import type { CatalogChange, CatalogStore, CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { CatalogCollections, CollectionName } from '../../shared/schemas/catalog/index.ts';
import { actorOf, type DocHandle, reservedMemory, reserveMemory } from '../automerge/backend.ts';
import { type ConflictEntry, concurrentWriteConflict } from '../catalog/conflicts.ts';
import { isTombstone, type LiveEnvelope } from '../catalog/envelope.ts';
import { parseDocKey } from '../catalog/layout.ts';
import type { DocReplica } from '../sync/replica.ts';
import type { LiveDocBudget } from './live-docs.ts';
import { NameIndex } from './name-index.ts';
import type { CatalogPersistence, DocChunk } from './persistence.ts';
import { decodeSnapshot, isDecoded, Shards, sameHeads } from './shards.ts';

/** Options of {@link createReplicatedCatalog}. */
export interface ReplicatedCatalogOptions {
  /** This site's id: the Automerge actor of its writes and the owner of its resource-index and membership records. */
  siteId: string;
  persistence: CatalogPersistence;
  clock: Clock;
  log: Logger;
  /** Stored chunks per document before they are compacted into one snapshot (default 16: loading a snapshot is ~5x faster than its chunks, and a snapshot of a 1k-record document costs ~2 ms). */
  compactAfter?: number;
  /**
   * A document left with several stored chunks and no write for this long is compacted into one snapshot in the
   * background (default 5000 ms; 0: never), so a restart after a crash loads mostly snapshots. At most 64 per period.
   */
  idleCompactMs?: number;
  /**
   * Bound on live Automerge documents, possibly shared with other stores of the process (live-docs.ts); documents
   * past it are kept as saved bytes and loaded on use. Default: every document stays live.
   */
  liveDocs?: LiveDocBudget;
}

/** The catalog store of a federated site, plus what federation needs from it. */
export interface ReplicatedCatalog extends CatalogStore {
  readonly siteId: string;
  /** The documents, for the sync engine (federation/sync). */
  readonly replica: DocReplica;
  /** The conflict ledger, oldest detection first. */
  conflicts(): readonly ConflictEntry[];
  /** Resolves once everything written or merged so far is durable. */
  flush(): Promise<void>;
}

/**
 * Opens the replicated catalog: Automerge documents (federation/catalog/layout.ts) loaded from `persistence`, all
 * records in memory for synchronous reads. Local writes commit into the documents synchronously and resolve once
 * their chunks are stored; merged remote changes reach readers and subscribers (origin `remote`) at once and are
 * stored in the background. Conflicts found while merging go to the ledger.
 *
 * Pass it to the edge site as `catalog: async (db) => createReplicatedCatalog({ siteId, persistence: await
 * sqlitePersistence(db), clock, log })`.
 *
 * The site's Automerge actor is derived from its id, so it is the same after a restart: safe because a change is
 * only offered to peers once it is durable here (a change lost in a crash was never seen by anyone).
 */
export async function createReplicatedCatalog(options: ReplicatedCatalogOptions): Promise<ReplicatedCatalog> {
  const store = new ReplicatedCatalogStore(options);
  await store.open();
  return store;
}

class ReplicatedCatalogStore implements ReplicatedCatalog {
  readonly siteId: string;
  readonly replica: DocReplica;
  readonly #o: ReplicatedCatalogOptions;
  readonly #shards: Shards;
  readonly #mem: CatalogMemory;
  readonly #names = new NameIndex();
  readonly #durable: Promise<void>[] = [];
  readonly #ledger = new Map<string, ConflictEntry>();
  readonly #chunks = new Map<string, number>();
  readonly #docListeners = new Set<(docs: readonly string[]) => void>();
  /** Clock time of each document's last stored chunk (idle compaction). */
  readonly #lastWrite = new Map<string, number>();
  #stopIdle: (() => void) | undefined;
  /** Wasm memory the documents adopted from snapshots are expected to take (`#expectMemory`). */
  #expected = 0;
  #io: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(o: ReplicatedCatalogOptions) {
    this.#o = o;
    this.siteId = o.siteId;
    this.#shards = new Shards(actorOf(o.siteId), o.liveDocs);
    this.#mem = new CatalogMemory(() => this.#durable.shift() ?? Promise.resolve());
    this.#mem.subscribe((c) => this.#names.update(c.collection, c.id, c.record));
    this.replica = this.#makeReplica();
  }

  async open(): Promise<void> {
    const stored = await this.#o.persistence.loadDocs();
    // Replaying change chunks (after a crash) grows wasm memory step by step, each step a full GC: reserve it in one
    // step instead (documents take ~50x their stored size). Snapshots alone load without that storm: no reserve.
    let storedBytes = 0;
    let chunkCount = 0;
    for (const chunks of stored.values()) {
      chunkCount += chunks.length;
      for (const c of chunks) storedBytes += c.length;
    }
    if (storedBytes > 256 * 1024 && chunkCount > 2 * stored.size) reserveMemory(storedBytes * 64);
    const live = new Map<CollectionName, LiveEnvelope[]>();
    for (const [doc, chunks] of stored) {
      if (!parseDocKey(doc)) {
        this.#o.log.warn({ doc }, 'catalog document of an unknown layout skipped');
        continue;
      }
      this.#shards.load(doc, chunks);
      this.#chunks.set(doc, chunks.length);
      for (const { collection, env } of this.#shards.scan(doc)) {
        let list = live.get(collection);
        if (!list) {
          list = [];
          live.set(collection, list);
        }
        list.push(env);
      }
    }
    for (const [collection, envs] of live) {
      envs.sort((a, b) => a.c - b.c || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
      const records = envs.map((e) => e.r);
      this.#mem.load(collection, records);
      for (const r of records) this.#names.update(collection, r.id, r as CatalogCollections[typeof collection]);
    }
    this.#shards.trim();
    for (const e of await this.#o.persistence.loadConflicts()) this.#ledger.set(e.id, e);
    const idle = this.#o.idleCompactMs ?? 5000;
    if (idle > 0) this.#stopIdle = this.#o.clock.every(idle, () => this.#compactIdle(idle));
  }

  /** Compacts documents with several chunks and no write for `idle` ms (64 at most per call). */
  #compactIdle(idle: number): void {
    if (this.#closed) return;
    const now = this.#o.clock.now();
    const due: string[] = [];
    for (const [doc, n] of this.#chunks) {
      if (n > 1 && now - (this.#lastWrite.get(doc) ?? 0) >= idle) due.push(doc);
      if (due.length >= 64) break;
    }
    if (due.length > 0) this.#queueCompaction(due, this.#io);
  }

  /** Replaces the stored chunks of `docs` by one snapshot each once `after` succeeds (skipped if it fails). */
  #queueCompaction(docs: readonly string[], after: Promise<void>): void {
    const p = this.#o.persistence;
    let tail = after;
    for (const doc of docs) {
      this.#chunks.set(doc, 1);
      tail = tail.then(() => {
        const bytes = this.#shards.save(doc);
        return bytes ? p.compact(doc, bytes) : undefined;
      });
    }
    this.#io = tail.catch((err: unknown) => this.#o.log.error({ err }, 'catalog compaction failed'));
  }

  /** Replaces the stored chunks of `doc` by `bytes`, after the writes queued so far. */
  #queueCompactionOf(doc: string, bytes: Uint8Array): void {
    this.#chunks.set(doc, 1);
    this.#io = this.#io
      .then(() => this.#o.persistence.compact(doc, bytes))
      .catch((err: unknown) => this.#o.log.error({ err }, 'catalog compaction failed'));
  }

  get<C extends CollectionName>(collection: C, id: string): CatalogCollections[C] | undefined {
    return this.#mem.get(collection, id);
  }

  list<C extends CollectionName>(collection: C): readonly CatalogCollections[C][] {
    return this.#mem.list(collection);
  }

  put<C extends CollectionName>(collection: C, record: CatalogCollections[C]): Promise<void> {
    return this.apply([{ op: 'put', collection, record } as CatalogWrite]);
  }

  async delete(collection: CollectionName, id: string): Promise<boolean> {
    if (!this.#mem.get(collection, id)) return false;
    await this.apply([{ op: 'delete', collection, id }]);
    return true;
  }

  apply(writes: readonly CatalogWrite[]): Promise<void> {
    let chunks: DocChunk[];
    try {
      if (this.#closed) throw new BrumeError('unavailable', 'federation.catalog_closed', 'the catalog is closed');
      for (const w of writes) this.#checkOwner(w);
      chunks = this.#shards.commit(writes, { now: this.#o.clock.now(), site: this.siteId });
    } catch (err) {
      return Promise.reject(err);
    } finally {
      this.#shards.trim();
    }
    const durable = this.#write(chunks, []);
    durable.catch(() => {});
    this.#durable.push(durable);
    return this.#mem.apply(writes).then(
      () => this.#docsChanged(chunks.map((c) => c.doc)),
      async (err: unknown) => {
        await this.#reload(chunks.map((c) => c.doc));
        throw err;
      },
    );
  }

  subscribe(listener: (change: CatalogChange) => void): () => void {
    return this.#mem.subscribe(listener);
  }

  conflicts(): readonly ConflictEntry[] {
    return [...this.#ledger.values()].sort((a, b) => a.detected_at - b.detected_at || a.id.localeCompare(b.id));
  }

  async flush(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#io;
      await tail;
    } while (tail !== this.#io);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopIdle?.();
    await this.#mem.close();
    await this.flush();
    // A graceful stop leaves one snapshot per document: the next start loads ~4x faster than from chunks.
    for (const [doc, n] of this.#chunks) {
      const bytes = n <= 1 ? undefined : this.#shards.save(doc);
      if (!bytes) continue;
      await this.#o.persistence
        .compact(doc, bytes)
        .catch((err: unknown) => this.#o.log.warn({ err, doc }, 'catalog compaction at close failed'));
    }
    this.#docListeners.clear();
    this.#shards.free();
  }

  /** Each site writes only its own resource-index entries, quota grants and membership record. */
  #checkOwner(w: CatalogWrite): void {
    if (w.collection !== 'resource_index' && w.collection !== 'sites' && w.collection !== 'quota_grants') return;
    const record = w.op === 'put' ? w.record : this.#mem.get(w.collection, w.id);
    if (!record) return;
    const owner = w.collection === 'sites' ? record.id : (record as CatalogCollections['resource_index']).site_id;
    if (owner !== this.siteId) {
      throw forbidden(
        'federation.not_owner',
        `${w.collection} ${record.id} belongs to site ${owner}, not ${this.siteId}`,
      );
    }
  }

  /** Queues chunks (and ledger entries) for storage, in commit order; compacts documents with many chunks. */
  #write(chunks: readonly DocChunk[], conflicts: readonly ConflictEntry[]): Promise<void> {
    const p = this.#o.persistence;
    const run = this.#io.then(() => p.append(chunks, conflicts));
    const limit = this.#o.compactAfter ?? 16;
    const compact: string[] = [];
    const now = this.#o.clock.now();
    for (const c of chunks) {
      const n = (this.#chunks.get(c.doc) ?? 0) + 1;
      this.#chunks.set(c.doc, n);
      this.#lastWrite.set(c.doc, now);
      if (n > limit) compact.push(c.doc);
    }
    this.#io = run.catch((err: unknown) => this.#o.log.error({ err }, 'catalog persistence failed'));
    if (compact.length > 0) this.#queueCompaction(compact, run);
    return run;
  }

  /** After a failed write: drop the documents' unstored changes by reloading them from storage. */
  async #reload(docs: readonly string[]): Promise<void> {
    await this.flush();
    for (const doc of docs) {
      const chunks = await this.#o.persistence.loadDoc(doc);
      this.#shards.load(doc, chunks);
      this.#chunks.set(doc, chunks.length);
    }
    this.#shards.trim();
  }

  #docsChanged(docs: readonly string[]): void {
    if (docs.length === 0) return;
    for (const l of this.#docListeners) l(docs);
  }

  /**
   * Catch-up from snapshots: documents arriving whole grow wasm memory step by step, each step a full GC in V8
   * (100k records: ~45 mark-compacts, ~8 CPU-s). Reserving ahead, doubling, makes that a handful of steps.
   */
  #expectMemory(bytes: number): void {
    this.#expected += bytes;
    const reserved = reservedMemory();
    if (this.#expected > reserved) reserveMemory(Math.max(this.#expected, 2 * reserved, 16 * 1024 * 1024));
  }

  /** Merges remote changes into one document, then updates memory, the ledger and storage. */
  #merge(doc: string, step: (h: DocHandle | undefined) => void): void {
    if (this.#closed || !parseDocKey(doc)) return;
    try {
      this.#mergeLive(doc, step);
    } finally {
      this.#shards.trim();
    }
  }

  /**
   * A whole document taken without loading it into wasm — one this replica lacks, or a descendant of the version it
   * holds: its records come decoded (once per bytes, shared and frozen), the bytes are stored as its one snapshot
   * and kept until the document is used. False when it cannot (not a descendant, or holding concurrent values:
   * merged the ordinary way, for the ledger).
   */
  #adoptCold(doc: string, bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    const parsed = parseDocKey(doc);
    if (!parsed) return false;
    const held = this.#shards.heads(doc).length > 0;
    // A held document is fast-forwarded only from bytes decoded already (handed to many replicas); a snapshot from
    // the network for a held document merges the ordinary way rather than being decoded twice.
    if (held && !isDecoded(bytes)) return false;
    const decoded = decodeSnapshot(bytes, held);
    if (decoded.conflicted || !this.#shards.adoptCold(doc, bytes, decoded)) return false;
    const writes: CatalogWrite[] = [];
    const same: CatalogCollections[CollectionName][] = [];
    for (const r of decoded.records) {
      const current = this.#mem.get(parsed.collection, r.id);
      if (r.env && !isTombstone(r.env)) {
        // A record held with the same content takes the shared copy silently; others are changes.
        if (current && current !== r.env.r && JSON.stringify(current) === JSON.stringify(r.env.r))
          same.push(r.env.r as CatalogCollections[CollectionName]);
        else if (current !== r.env.r) {
          writes.push({ op: 'put', collection: parsed.collection, record: r.env.r } as CatalogWrite);
        }
      } else if (current) {
        writes.push({ op: 'delete', collection: parsed.collection, id: r.id });
      }
    }
    if (same.length > 0) this.#mem.load(parsed.collection, same);
    this.#mem.applyRemote(writes);
    const now = this.#o.clock.now();
    const found: ConflictEntry[] = [];
    for (const w of writes) {
      if (w.op !== 'put') continue;
      const dup = this.#names.duplicates(w.collection, w.record.id, (c, id) => this.#shards.version(c, id), now);
      if (dup && !this.#ledger.has(dup.id)) found.push(dup);
    }
    for (const c of found) this.#ledger.set(c.id, c);
    if (held) {
      // The stored chunks of the older version are replaced by the one snapshot.
      this.#write([], found).catch(() => {});
      this.#queueCompactionOf(doc, bytes);
    } else this.#write([{ doc, bytes }], found).catch(() => {});
    if (held || writes.length > 0) this.#docsChanged([doc]);
    return true;
  }

  #mergeLive(doc: string, step: (h: DocHandle | undefined) => void): void {
    const before = this.#shards.heads(doc);
    step(before.length === 0 ? undefined : this.#shards.ensure(doc));
    const h = this.#shards.get(doc); // `step` may have created the document (a snapshot adopted whole)
    if (!h || sameHeads(before, h.getHeads())) return;
    const now = this.#o.clock.now();
    const writes: CatalogWrite[] = [];
    const found: ConflictEntry[] = [];
    for (const r of this.#shards.changedSince(doc, before)) {
      const current = this.#mem.get(r.collection, r.id);
      if (!r.env || isTombstone(r.env)) {
        if (current) writes.push({ op: 'delete', collection: r.collection, id: r.id });
      } else if (!current || JSON.stringify(current) !== JSON.stringify(r.env.r)) {
        writes.push({ op: 'put', collection: r.collection, record: r.env.r } as CatalogWrite);
      }
      const c = concurrentWriteConflict(r.collection, r.id, r.values, r.value, now);
      if (c) found.push(c);
    }
    this.#mem.applyRemote(writes);
    for (const w of writes) {
      if (w.op !== 'put') continue;
      const dup = this.#names.duplicates(w.collection, w.record.id, (c, id) => this.#shards.version(c, id), now);
      if (dup) found.push(dup);
    }
    const fresh = found.filter((c) => !this.#ledger.has(c.id));
    for (const c of fresh) {
      this.#ledger.set(c.id, c);
      this.#o.log.warn({ conflict: c.id, kind: c.kind, collection: c.collection, record: c.record_id }, c.reason);
    }
    const chunk = this.#shards.pending(doc);
    this.#write(chunk ? [chunk] : [], fresh).catch(() => {});
    this.#docsChanged([doc]);
  }

  #makeReplica(): DocReplica {
    const shards = this.#shards;
    return {
      siteId: this.siteId,
      docs: () => shards.keys(),
      heads: (doc) => shards.heads(doc),
      changeCount: (doc) => shards.changeCount(doc),
      generateSyncMessage: (doc, state) => {
        try {
          return shards.ensure(doc).generateSyncMessage(state) ?? null;
        } finally {
          shards.trim();
        }
      },
      receiveSyncMessage: (doc, state, message) =>
        this.#merge(doc, (h) => (h ?? shards.ensure(doc)).receiveSyncMessage(state, message)),
      snapshot: (doc) => shards.save(doc),
      mergeSnapshot: (doc, bytes) => {
        if (this.#adoptCold(doc, bytes)) return;
        this.#merge(doc, (h) => {
          if (h) h.loadIncremental(bytes);
          else {
            this.#expectMemory(bytes.length * 64);
            shards.adopt(doc, bytes);
          }
        });
      },
      onDocsChanged: (listener) => {
        this.#docListeners.add(listener);
        return () => this.#docListeners.delete(listener);
      },
    };
  }
}
