/**
 * A site that ran alone (federation off: its catalog in the `catalog_records` table) and now joins a federation
 * keeps its data: on the first federated start, while the replicated catalog is still empty, every record of the
 * lone catalog is written into it (batches of 500; the lone table is left as it was). Records another site owns
 * (`resource_index`, `sites`, `quota_grants` naming another site) are skipped: the lone site never wrote those.
 * Identity bootstrap records have deterministic ids, so they merge with the federation's; other records keep their
 * ids, and names that collide with the federation's show up in the conflict ledger (rename or merge them there).
 */
import type { Client } from '@libsql/client';
import type { CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { COLLECTIONS, type CollectionName } from '../../shared/schemas/catalog/index.ts';
import { ownerOf, SHARED_OWNER } from '../catalog/layout.ts';
import type { ReplicatedCatalog } from './replicated-catalog.ts';

const BATCH = 500;

/** Imports the lone catalog into an empty replicated one; returns how many records were imported. */
export async function importLoneCatalog(client: Client, store: ReplicatedCatalog, log: Logger): Promise<number> {
  if (store.replica.docs().length > 0) return 0;
  const exists = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'catalog_records'",
  );
  if (exists.rows.length === 0) return 0;
  const rs = await client.execute('SELECT collection, data FROM catalog_records ORDER BY rowid');
  const known = new Set<string>(COLLECTIONS);
  const writes: CatalogWrite[] = [];
  let skipped = 0;
  for (const row of rs.rows) {
    const collection = String(row.collection);
    if (!known.has(collection)) continue;
    const record = JSON.parse(String(row.data)) as { id: string };
    const c = collection as CollectionName;
    const owner = ownerOf(c, record as never);
    if (owner !== SHARED_OWNER && owner !== store.siteId && c !== 'signing_keys') {
      skipped++;
      continue;
    }
    writes.push({ op: 'put', collection: c, record } as CatalogWrite);
  }
  for (let i = 0; i < writes.length; i += BATCH) await store.apply(writes.slice(i, i + BATCH));
  if (writes.length > 0) {
    log.info(
      { imported: writes.length, skipped },
      'catalog: records of this site from before it joined the federation imported into the replicated catalog',
    );
  }
  return writes.length;
}
