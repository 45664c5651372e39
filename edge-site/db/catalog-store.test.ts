import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { runCatalogStoreContract } from '../../shared/testing/run-catalog-store-contract.ts';
import { sqliteCatalogStore } from './catalog-store.ts';
import { openDatabase, type SiteDatabase } from './client.ts';
import { migrateDatabase } from './migrate.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const files = new WeakMap<CatalogStore, { path: string; sdb: SiteDatabase }>();

async function openAt(path: string): Promise<CatalogStore> {
  const sdb = await openDatabase(path);
  await migrateDatabase(sdb);
  const store = await sqliteCatalogStore(sdb, systemClock);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    sdb.close();
  };
  files.set(store, { path, sdb });
  return store;
}

runCatalogStoreContract('sqlite', {
  open: () => openAt(join(dir, `c${n++}.db`)),
  async reopen(store) {
    const f = files.get(store);
    if (!f) throw new Error('unknown store');
    await store.close();
    return openAt(f.path);
  },
});
