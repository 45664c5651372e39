import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge-site/db/client.ts';
import { manualClock } from '../../edge-site/testing/deps.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { runCatalogStoreContract } from '../../shared/testing/run-catalog-store-contract.ts';
import { memoryPersistence } from './memory-persistence.ts';
import type { CatalogPersistence } from './persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from './replicated-catalog.ts';
import { sqlitePersistence } from './sqlite-persistence.ts';

function harness(makePersistence: () => Promise<CatalogPersistence>) {
  const persisted = new WeakMap<CatalogStore, CatalogPersistence>();
  const open = async (p?: CatalogPersistence) => {
    const persistence = p ?? (await makePersistence());
    const s = await createReplicatedCatalog({ siteId: 'a', persistence, clock: manualClock(), log: silentLogger });
    persisted.set(s, persistence);
    return s;
  };
  return {
    open: () => open(),
    async reopen(s: CatalogStore) {
      await s.close();
      return open(persisted.get(s));
    },
  };
}

runCatalogStoreContract(
  'replicated (memory persistence)',
  harness(async () => memoryPersistence()),
);
runCatalogStoreContract(
  'replicated (SQLite persistence)',
  harness(async () => sqlitePersistence(await openDatabase(':memory:'))),
);
const fileDirs: string[] = [];
afterAll(() => {
  for (const d of fileDirs) rmSync(d, { recursive: true, force: true });
});
runCatalogStoreContract(
  'replicated (SQLite persistence on a file)',
  harness(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brume-catalog-contract-'));
    fileDirs.push(dir);
    return sqlitePersistence(await openDatabase(join(dir, 'site.db')));
  }),
);

describe('replicated catalog, one site', () => {
  const open = (persistence = memoryPersistence(), siteId = 'a') =>
    createReplicatedCatalog({ siteId, persistence, clock: manualClock(), log: silentLogger, compactAfter: 3 });

  it('refuses resource-index entries and membership records of other sites', async () => {
    const s = await open();
    await expect(
      s.put('resource_index', { id: 'r1', type: 'server', site_id: 'b', project_id: null }),
    ).rejects.toMatchObject({ code: 'federation.not_owner' });
    await s.put('resource_index', { id: 'r1', type: 'server', site_id: 'a', project_id: null });
    await expect(
      s.put('sites', { id: 'b', name: 'b', region: 'r', url: 'http://b', created_at: 0, last_seen: 0 }),
    ).rejects.toMatchObject({ code: 'federation.not_owner' });
    expect(s.get('resource_index', 'r1')?.site_id).toBe('a');
    expect(s.get('sites', 'b')).toBeUndefined();
    await s.close();
  });

  it('compacts documents and reloads the same records in creation order', async () => {
    const p = memoryPersistence();
    let s: ReplicatedCatalog = await open(p);
    for (let i = 0; i < 10; i++) {
      await s.put('domains', { id: `d${9 - i}`, name: `n${i}`, description: '', enabled: true });
    }
    await s.delete('domains', 'd5');
    await s.put('domains', { id: 'd9', name: 'renamed', description: '', enabled: false });
    const before = s.list('domains');
    await s.close();
    const chunks = [...(await p.loadDocs()).values()].map((c) => c.length);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(4);
    s = await open(p);
    expect(s.list('domains')).toEqual(before);
    await s.close();
  });

  it('rolls back a batch whose write fails, in memory and in its documents', async () => {
    const p = memoryPersistence();
    const s = await open(p);
    await s.put('domains', { id: 'keep', name: 'keep', description: '', enabled: true });
    p.failWrites(true);
    await expect(s.put('domains', { id: 'lost', name: 'lost', description: '', enabled: true })).rejects.toThrow();
    p.failWrites(false);
    expect(s.get('domains', 'lost')).toBeUndefined();
    await s.put('domains', { id: 'after', name: 'after', description: '', enabled: true });
    await s.close();
    const again = await open(p);
    expect(again.list('domains').map((d) => d.id)).toEqual(['keep', 'after']);
    await again.close();
  });
});

describe('replicated catalog, idle compaction', () => {
  it('compacts a document left with several chunks once it has been idle, and loads the same records', async () => {
    const clock = manualClock();
    const persistence = memoryPersistence();
    const opts = { siteId: 'a', persistence, clock, log: silentLogger, compactAfter: 100, idleCompactMs: 5000 };
    const store = await createReplicatedCatalog(opts);
    for (let i = 0; i < 5; i++) {
      await store.put('flavors', {
        id: `f${i}`,
        name: `f${i}`,
        vcpus: 1,
        ram: 1,
        disk: 1,
        ephemeral: 0,
        swap: 0,
        rxtx_factor: 1,
        is_public: true,
        disabled: false,
        description: null,
        extra_specs: {},
        created_at: 0,
      });
    }
    const chunkCounts = async () => [...(await persistence.loadDocs()).values()].map((c) => c.length);
    expect(await chunkCounts()).toEqual([5]);
    clock.advance(4000);
    await store.flush();
    expect(await chunkCounts()).toEqual([5]); // written 4 s ago: not idle yet
    clock.advance(6000);
    await store.flush();
    expect(await chunkCounts()).toEqual([1]);
    const reopened = await createReplicatedCatalog(opts);
    expect(reopened.list('flavors').map((f) => f.id)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    await reopened.close();
    await store.close();
  });
});
