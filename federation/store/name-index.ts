import type { CatalogCollections, CollectionName } from '../../shared/schemas/catalog/index.ts';
import type { ConflictEntry, ConflictVersion } from '../catalog/conflicts.ts';
import { duplicateNameConflict, NAMED_COLLECTIONS, nameKey } from '../catalog/names.ts';

/** The stored version of a record (who wrote it, when). */
export type VersionOf = (collection: CollectionName, id: string) => ConflictVersion;

/** Which records hold each unique-per-domain name, kept current from the store's change feed. */
export class NameIndex {
  readonly #byName = new Map<string, Set<string>>();
  readonly #nameOf = new Map<string, string>();

  /** Reindexes one record (undefined: deleted). */
  update<C extends CollectionName>(collection: C, id: string, record: CatalogCollections[C] | undefined): void {
    // Most records (endpoints, per-site documents) have no unique name: no key string built for them.
    if (!NAMED_COLLECTIONS.has(collection)) return;
    const rk = `${collection}\u0000${id}`;
    const old = this.#nameOf.get(rk);
    const next = record ? nameKey(collection, record) : undefined;
    if (old === next) return;
    if (old !== undefined) {
      const set = this.#byName.get(`${collection}\u0000${old}`);
      set?.delete(id);
      if (set?.size === 0) this.#byName.delete(`${collection}\u0000${old}`);
      this.#nameOf.delete(rk);
    }
    if (next !== undefined) {
      const k = `${collection}\u0000${next}`;
      let set = this.#byName.get(k);
      if (!set) {
        set = new Set();
        this.#byName.set(k, set);
      }
      set.add(id);
      this.#nameOf.set(rk, next);
    }
  }

  /** The duplicate-name ledger entry for the name of record `id`, if several records now share it. */
  duplicates(collection: CollectionName, id: string, versionOf: VersionOf, now: number): ConflictEntry | undefined {
    if (!NAMED_COLLECTIONS.has(collection)) return undefined;
    const key = this.#nameOf.get(`${collection}\u0000${id}`);
    if (key === undefined) return undefined;
    const ids = this.#byName.get(`${collection}\u0000${key}`);
    if (!ids || ids.size < 2) return undefined;
    const versions = [...ids].map((rid) => versionOf(collection, rid));
    return duplicateNameConflict(collection, key, versions, now);
  }
}
