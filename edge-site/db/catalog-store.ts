import { asc, sql } from 'drizzle-orm';
import { CatalogMemory } from '../../shared/catalog-memory.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { COLLECTIONS, type CollectionName } from '../../shared/schemas/catalog/index.ts';
import type { SiteDatabase } from './client.ts';
import { catalogRecords } from './schema/catalog.ts';

/**
 * The catalog store of a lone site: every record in memory (reads never touch the disk) and written through to the
 * `catalog_records` table, one transaction per batch. Federation replaces the persist step with Automerge + this
 * table as its query index; the port stays the same.
 */
export async function sqliteCatalogStore(sdb: SiteDatabase, clock: Clock): Promise<CatalogMemory> {
  const store = new CatalogMemory(async (writes) => {
    const now = clock.now();
    const stmts = writes.map((w) =>
      w.op === 'put'
        ? sdb.db
            .insert(catalogRecords)
            .values({ collection: w.collection, id: w.record.id, data: w.record, updatedAt: now })
            .onConflictDoUpdate({
              target: [catalogRecords.collection, catalogRecords.id],
              set: { data: w.record, updatedAt: now },
            })
        : sdb.db
            .delete(catalogRecords)
            .where(sql`${catalogRecords.collection} = ${w.collection} and ${catalogRecords.id} = ${w.id}`),
    );
    const [first, ...rest] = stmts;
    if (first) await sdb.db.batch([first, ...rest]);
  });
  const rows = await sdb.db.select().from(catalogRecords).orderBy(asc(sql`rowid`));
  const known = new Set<string>(COLLECTIONS);
  const byCollection = new Map<CollectionName, Array<{ id: string }>>();
  for (const row of rows) {
    if (!known.has(row.collection)) continue;
    const c = row.collection as CollectionName;
    let list = byCollection.get(c);
    if (!list) {
      list = [];
      byCollection.set(c, list);
    }
    list.push(row.data as { id: string });
  }
  for (const [c, list] of byCollection) store.load(c, list);
  return store;
}
