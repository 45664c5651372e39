import type { ConflictEntry } from '../catalog/conflicts.ts';
import type { CatalogPersistence, DocChunk } from './persistence.ts';

/** The persistence fake: survives closing the store (reopen it with the same object), lost with the process. */
export interface MemoryPersistence extends CatalogPersistence {
  /** Makes the next `append` calls fail (failure-path tests). */
  failWrites(fail: boolean): void;
}

/** Options of {@link memoryPersistence}. */
export interface MemoryPersistenceOptions {
  /**
   * Keep the bytes handed to `append`/`compact` by reference instead of copying them (simulations: hundreds of
   * replicas in one process store the same snapshot bytes, which Automerge and the sync never mutate). A view into a
   * larger buffer (a received frame) is still copied, so it does not keep the whole buffer alive.
   */
  shareBytes?: boolean;
}

/** An in-memory {@link CatalogPersistence}. */
export function memoryPersistence(options: MemoryPersistenceOptions = {}): MemoryPersistence {
  const docs = new Map<string, Uint8Array[]>();
  const conflicts = new Map<string, ConflictEntry>();
  let failing = false;
  const keep = (b: Uint8Array): Uint8Array =>
    options.shareBytes && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
  return {
    async loadDocs() {
      return new Map([...docs].map(([k, v]) => [k, [...v]]));
    },
    async loadDoc(doc) {
      return [...(docs.get(doc) ?? [])];
    },
    async append(chunks: readonly DocChunk[], entries: readonly ConflictEntry[] = []) {
      if (failing) throw new Error('memory persistence: write failure injected');
      for (const c of chunks) {
        let list = docs.get(c.doc);
        if (!list) {
          list = [];
          docs.set(c.doc, list);
        }
        list.push(keep(c.bytes));
      }
      for (const e of entries) if (!conflicts.has(e.id)) conflicts.set(e.id, structuredClone(e));
    },
    async compact(doc, snapshot) {
      docs.set(doc, [keep(snapshot)]);
    },
    async loadConflicts() {
      return [...conflicts.values()].map((e) => structuredClone(e));
    },
    async size() {
      let n = 0;
      for (const list of docs.values()) for (const b of list) n += b.byteLength;
      return n;
    },
    async close() {},
    failWrites(fail) {
      failing = fail;
    },
  };
}
