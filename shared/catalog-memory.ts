import type { CatalogChange, CatalogStore, CatalogWrite } from './ports/catalog-store.ts';
import type { CatalogCollections, CollectionName } from './schemas/catalog/index.ts';

/** Persists a committed batch; throws to abort it (memory then stays unchanged). */
export type PersistBatch = (writes: readonly CatalogWrite[]) => Promise<void>;

/**
 * The in-memory half of every {@link CatalogStore}: frozen records per collection, change notification, and
 * write-through to a `persist` function. A store with a no-op `persist` is the fake; SQLite and Automerge stores
 * pass their own.
 */
export class CatalogMemory implements CatalogStore {
  readonly #collections = new Map<CollectionName, Map<string, unknown>>();
  readonly #listeners = new Set<(change: CatalogChange) => void>();
  readonly #persist: PersistBatch;
  #tail: Promise<void> = Promise.resolve();

  constructor(persist: PersistBatch = async () => {}) {
    this.#persist = persist;
  }

  #map(collection: CollectionName): Map<string, unknown> {
    let m = this.#collections.get(collection);
    if (!m) {
      m = new Map();
      this.#collections.set(collection, m);
    }
    return m;
  }

  get<C extends CollectionName>(collection: C, id: string): CatalogCollections[C] | undefined {
    return this.#map(collection).get(id) as CatalogCollections[C] | undefined;
  }

  list<C extends CollectionName>(collection: C): readonly CatalogCollections[C][] {
    return [...this.#map(collection).values()] as CatalogCollections[C][];
  }

  put<C extends CollectionName>(collection: C, record: CatalogCollections[C]): Promise<void> {
    return this.apply([{ op: 'put', collection, record } as CatalogWrite]);
  }

  async delete(collection: CollectionName, id: string): Promise<boolean> {
    if (!this.#map(collection).has(id)) return false;
    await this.apply([{ op: 'delete', collection, id }]);
    return true;
  }

  /**
   * Writes are visible to readers as soon as this is called (read-your-writes within the process) and resolve when
   * durable. If persisting fails the batch is rolled back in memory and the promise rejects.
   */
  apply(writes: readonly CatalogWrite[]): Promise<void> {
    const undo: Array<[CollectionName, string, unknown]> = [];
    const frozen: Array<unknown> = [];
    for (const w of writes) {
      const m = this.#map(w.collection);
      const id = w.op === 'put' ? w.record.id : w.id;
      undo.push([w.collection, id, m.get(id)]);
      if (w.op === 'put') {
        const rec = Object.freeze(structuredClone(w.record));
        frozen.push(rec);
        m.set(id, rec);
      } else {
        frozen.push(undefined);
        m.delete(id);
      }
    }
    const run = this.#tail.then(() => this.#persist(writes));
    this.#tail = run.catch(() => {});
    return run.then(
      () => {
        for (const [i, w] of writes.entries()) this.#notify(w, frozen[i], 'local');
      },
      (err: unknown) => {
        for (const [collection, id, prev] of undo.reverse()) {
          if (prev === undefined) this.#map(collection).delete(id);
          else this.#map(collection).set(id, prev);
        }
        throw err;
      },
    );
  }

  /** Loads records without persisting or notifying (start-up from disk). */
  load(collection: CollectionName, records: Iterable<{ id: string }>): void {
    const m = this.#map(collection);
    for (const r of records) m.set(r.id, Object.freeze(r));
  }

  /**
   * Applies changes merged from elsewhere (federation): persisted by the caller, notified as `remote`. A record that
   * is already frozen is kept as is, not copied (replicas of one process may share it: federation/store/shards.ts).
   */
  applyRemote(writes: readonly CatalogWrite[]): void {
    for (const w of writes) {
      const m = this.#map(w.collection);
      const rec =
        w.op !== 'put' ? undefined : Object.isFrozen(w.record) ? w.record : Object.freeze(structuredClone(w.record));
      if (w.op === 'put') m.set(w.record.id, rec);
      else m.delete(w.id);
      this.#notify(w, rec, 'remote');
    }
  }

  #notify(w: CatalogWrite, record: unknown, origin: 'local' | 'remote'): void {
    const change = {
      collection: w.collection,
      id: w.op === 'put' ? w.record.id : w.id,
      record,
      origin,
    } as CatalogChange;
    for (const l of this.#listeners) l(change);
  }

  subscribe(listener: (change: CatalogChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.#tail;
  }
}
