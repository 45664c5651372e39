import type { Client } from '@libsql/client';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { LiveDocBudget } from './live-docs.ts';
import { importLoneCatalog } from './lone-catalog-import.ts';
import type { CatalogPersistence } from './persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from './replicated-catalog.ts';
import { sqlitePersistence } from './sqlite-persistence.ts';

/**
 * The `catalog` option of `createEdgeSite`: the replicated catalog stored in the site's own SQLite database.
 * `createEdgeSite({ config, catalog: siteCatalog({ siteId: config.site, clock, log }) })`; the running store is then
 * `site.deps.catalog` (a {@link ReplicatedCatalog}: hand its `replica` to `startCatalogSync`).
 * A site that ran alone before keeps its records: they are imported on the first federated start
 * (`lone-catalog-import.ts`).
 */
export function siteCatalog(options: {
  siteId: string;
  clock: Clock;
  log: Logger;
  compactAfter?: number;
  /** Bound on live Automerge documents (replicated-catalog.ts `liveDocs`). */
  liveDocs?: LiveDocBudget;
  /**
   * Where the documents are kept instead of the site's SQLite database (simulations: `memoryPersistence({ shareBytes:
   * true })`, so replicas of one process share snapshot bytes; lost with the process). Default: the database.
   */
  persistence?: () => CatalogPersistence;
}): (db: { client: Client }) => Promise<ReplicatedCatalog> {
  return async (db) => {
    const log = options.log.child({ component: 'catalog' });
    const persistence = options.persistence ? options.persistence() : await sqlitePersistence(db);
    const store = await createReplicatedCatalog({ ...options, log, persistence });
    // The persistence holds a connection of its own to the database file: closed with the store.
    const closeStore = store.close.bind(store);
    store.close = async () => {
      await closeStore();
      await persistence.close();
    };
    await importLoneCatalog(db.client, store, log);
    return store;
  };
}
