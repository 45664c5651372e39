import type { ConflictEntry } from '../catalog/conflicts.ts';
import type { CatalogPersistence, DocChunk } from './persistence.ts';

/** The persistence fake: survives closing the store (reopen it with the same object), lost with the process. */
export interface MemoryPersistence extends CatalogPersistence {
  /** Makes the next `append` calls fail (failure-path tests). */
  failWrites(fail: boolean): void;
}

/** An in-memory {@link CatalogPersistence}. */
export function memoryPersistence(): MemoryPersistence {
  const docs = new Map<string, Uint8Array[]>();
  const conflicts = new Map<string, ConflictEntry>();
  let failing = false;
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
        list.push(c.bytes.slice());
      }
      for (const e of entries) if (!conflicts.has(e.id)) conflicts.set(e.id, structuredClone(e));
    },
    async compact(doc, snapshot) {
      docs.set(doc, [snapshot.slice()]);
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
