/**
 * A bound on how many Automerge documents are live (wasm handles) at once, shared by every store that is given the
 * same budget. A live document costs ~12 KB of wasm memory even when it holds one small record (~0.3 KB saved), and
 * all documents of a process share one wasm memory of at most 4 GiB: 1,000 simulated sites each holding a replica
 * of ~3,000 per-owner documents do not fit live. Documents past the bound are kept compact (their saved bytes, heads
 * and change count) and loaded again on their next use.
 *
 * Eviction happens only at {@link LiveDocBudget.trim}, which stores call between operations (never while a handle
 * is in use), least recently used first.
 */

/** What a store does with a document the budget evicts: keep it compact and free its handle. */
export interface LiveDocHolder {
  evict(doc: string): void;
}

/** Counters of a {@link LiveDocBudget}. */
export interface LiveDocStats {
  live: number;
  loads: number;
  evictions: number;
}

/** A least-recently-used bound on live documents across the stores that share it. */
export class LiveDocBudget {
  readonly limit: number;
  readonly #lru = new Map<string, { holder: LiveDocHolder; doc: string }>();
  readonly #ids = new WeakMap<LiveDocHolder, number>();
  #nextId = 0;
  #loads = 0;
  #evictions = 0;

  /** `limit`: live documents kept at most after each trim (Infinity: never evict). */
  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError(`live document limit must be at least 1, got ${limit}`);
    this.limit = limit;
  }

  #key(holder: LiveDocHolder, doc: string): string {
    let id = this.#ids.get(holder);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(holder, id);
    }
    return `${id}\u0000${doc}`;
  }

  /** Marks a document as just used (most recently used); `loaded` when it was loaded back from its bytes. */
  touch(holder: LiveDocHolder, doc: string, loaded = false): void {
    if (this.limit === Number.POSITIVE_INFINITY) return;
    const key = this.#key(holder, doc);
    this.#lru.delete(key);
    this.#lru.set(key, { holder, doc });
    if (loaded) this.#loads++;
  }

  /** The document is no longer live (freed by its holder). */
  forget(holder: LiveDocHolder, doc: string): void {
    if (this.limit === Number.POSITIVE_INFINITY) return;
    this.#lru.delete(this.#key(holder, doc));
  }

  /** Evicts least recently used documents until at most `limit` are live. */
  trim(): void {
    if (this.#lru.size <= this.limit) return;
    for (const [key, { holder, doc }] of this.#lru) {
      if (this.#lru.size <= this.limit) break;
      this.#lru.delete(key);
      this.#evictions++;
      holder.evict(doc);
    }
  }

  stats(): LiveDocStats {
    return { live: this.#lru.size, loads: this.#loads, evictions: this.#evictions };
  }
}

/** The default: every document stays live (a real site holds a few hundred documents at most). */
export const unboundedLiveDocs = (): LiveDocBudget => new LiveDocBudget(Number.POSITIVE_INFINITY);
