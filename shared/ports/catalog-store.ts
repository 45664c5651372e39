import type { CatalogCollections, CollectionName } from '../schemas/catalog/index.ts';

/** One change to the catalog, as seen by subscribers. */
export interface CatalogChange<C extends CollectionName = CollectionName> {
  collection: C;
  id: string;
  /** The new record, or undefined when it was deleted. */
  record: CatalogCollections[C] | undefined;
  /** `local` for writes made through this store, `remote` for writes merged from another site. */
  origin: 'local' | 'remote';
}

/** A write in a batch. */
export type CatalogWrite =
  | { [C in CollectionName]: { op: 'put'; collection: C; record: CatalogCollections[C] } }[CollectionName]
  | { op: 'delete'; collection: CollectionName; id: string };

/**
 * The replicated catalog as the APIs see it (DESIGN.md: identity, flavors, keypairs, image metadata, membership,
 * resource index, quotas). Backed by SQLite at a lone site and by Automerge + SQLite once federated; the APIs do
 * not change.
 *
 * Semantics every implementation honours (checked by `shared/testing/run-catalog-store-contract.ts`):
 * - reads are synchronous and served from memory: no I/O on the token-validation path;
 * - a write's promise resolves once it is durable locally; reads see it as soon as the call returns;
 * - `put` is an upsert of the whole record; `delete` of a missing record resolves to false and is not an error;
 * - `apply` commits a batch atomically (all or nothing) and notifies once per write;
 * - records returned are frozen snapshots: callers copy before changing;
 * - the store enforces no uniqueness beyond `id` (names may collide after a partition: the domain logic decides).
 */
export interface CatalogStore {
  get<C extends CollectionName>(collection: C, id: string): CatalogCollections[C] | undefined;
  /** All records of a collection, in insertion order. */
  list<C extends CollectionName>(collection: C): readonly CatalogCollections[C][];
  put<C extends CollectionName>(collection: C, record: CatalogCollections[C]): Promise<void>;
  delete(collection: CollectionName, id: string): Promise<boolean>;
  apply(writes: readonly CatalogWrite[]): Promise<void>;
  /** Calls `listener` after every committed change; returns the unsubscribe function. */
  subscribe(listener: (change: CatalogChange) => void): () => void;
  close(): Promise<void>;
}
