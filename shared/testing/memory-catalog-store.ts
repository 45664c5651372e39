import { CatalogMemory } from '../catalog-memory.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';

/** The catalog-store fake: everything in memory, nothing persisted. */
export function memoryCatalogStore(): CatalogStore {
  return new CatalogMemory();
}
