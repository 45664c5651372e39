import { describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { User } from '../../shared/schemas/catalog/index.ts';
import { runCatalogStoreContract } from '../../shared/testing/run-catalog-store-contract.ts';
import { startCatalogSync } from '../sync/catalog-sync.ts';
import { snapshotOf } from '../testing/federation.ts';
import { createMemoryNetwork } from '../transports/memory.ts';
import { LiveDocBudget } from './live-docs.ts';
import { memoryPersistence } from './memory-persistence.ts';
import type { CatalogPersistence } from './persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from './replicated-catalog.ts';

const user = (id: string, name = id): User => ({ id, name, domain_id: 'default', enabled: true });

// Every operation of the store contract with at most one live document: each use loads it back from its bytes.
const persisted = new WeakMap<ReplicatedCatalog, CatalogPersistence>();
const openOne = async (p: CatalogPersistence = memoryPersistence()) => {
  const s = await createReplicatedCatalog({
    siteId: 'a',
    persistence: p,
    clock: manualClock(),
    log: silentLogger,
    liveDocs: new LiveDocBudget(1),
  });
  persisted.set(s, p);
  return s;
};
runCatalogStoreContract('replicated, one live document', {
  open: () => openOne(),
  async reopen(s) {
    await s.close();
    return openOne(persisted.get(s as ReplicatedCatalog));
  },
});

describe('live document budget', () => {
  it('evicts least recently used documents and loads them back on use', async () => {
    const budget = new LiveDocBudget(2);
    const s = await createReplicatedCatalog({
      siteId: 'a',
      persistence: memoryPersistence(),
      clock: manualClock(),
      log: silentLogger,
      liveDocs: budget,
    });
    for (let i = 0; i < 40; i++) await s.put('users', user(`u${i}`));
    const docs = s.replica.docs();
    expect(docs.length).toBeGreaterThan(10);
    expect(budget.stats().live).toBeLessThanOrEqual(2);
    expect(budget.stats().evictions).toBeGreaterThan(0);
    // An evicted document answers heads and bytes without being loaded; a write loads it back.
    const loads = budget.stats().loads;
    const heads = docs.map((d) => s.replica.heads(d));
    expect(heads.every((h) => h.length === 1)).toBe(true);
    expect(s.replica.snapshot(docs[0] ?? '')?.length).toBeGreaterThan(0);
    expect(budget.stats().loads).toBe(loads);
    await s.put('users', user('u0', 'renamed'));
    expect(s.get('users', 'u0')?.name).toBe('renamed');
    await s.close();
  });

  it('adopts a snapshot it lacks without loading it, sharing frozen records between replicas of one process', async () => {
    const open = (siteId: string, budget = new LiveDocBudget(8)) =>
      createReplicatedCatalog({
        siteId,
        persistence: memoryPersistence(),
        clock: manualClock(),
        log: silentLogger,
        liveDocs: budget,
      });
    const src = await open('src');
    await src.put('users', user('u1', 'alice'));
    const [doc] = src.replica.docs();
    const bytes = src.replica.snapshot(doc ?? '');
    if (!doc || !bytes) throw new Error('no document');
    const budgetB = new LiveDocBudget(8);
    const b = await open('b', budgetB);
    const c = await open('c');
    b.replica.mergeSnapshot(doc, bytes);
    c.replica.mergeSnapshot(doc, bytes);
    expect(b.replica.heads(doc)).toEqual(src.replica.heads(doc));
    expect(budgetB.stats()).toMatchObject({ live: 0, loads: 0 });
    const rb = b.get('users', 'u1');
    expect(rb?.name).toBe('alice');
    expect(rb).toBe(c.get('users', 'u1'));
    expect(Object.isFrozen(rb)).toBe(true);
    // Used again, it is loaded back and written like any document; the other replica is unaffected.
    await b.put('users', { ...user('u1', 'alice'), email: 'a@b' });
    expect(budgetB.stats().loads).toBe(1);
    expect(b.get('users', 'u1')?.email).toBe('a@b');
    expect(c.get('users', 'u1')?.email).toBeUndefined();
    for (const s of [src, b, c]) await s.close();
  });

  it('fast-forwards a held document to a descendant without loading it; merges a diverged one', async () => {
    const budget = new LiveDocBudget(8);
    const open = (siteId: string) =>
      createReplicatedCatalog({
        siteId,
        persistence: memoryPersistence(),
        clock: manualClock(),
        log: silentLogger,
        liveDocs: budget,
      });
    const a = await open('a');
    const b = await open('b');
    await a.put('regions', { id: 'r1', description: '', parent_region_id: null });
    const doc = a.replica.docs().find((d) => d.includes('/regions/')) ?? '';
    b.replica.mergeSnapshot(doc, a.replica.snapshot(doc) ?? new Uint8Array());
    await a.put('regions', { id: 'r2', description: '', parent_region_id: null });
    const v2 = a.replica.snapshot(doc) ?? new Uint8Array();
    const c = await open('c');
    c.replica.mergeSnapshot(doc, v2); // c lacks it: adopted cold (the bytes are now decoded)
    const loads = budget.stats().loads;
    b.replica.mergeSnapshot(doc, v2); // b's version is an ancestor of v2: fast-forwarded without loading
    expect(budget.stats().loads).toBe(loads);
    expect(b.replica.heads(doc)).toEqual(a.replica.heads(doc));
    expect(b.list('regions').map((r) => r.id)).toEqual(['r1', 'r2']);
    // b writes into it (loaded back), a writes concurrently: neither is an ancestor, Automerge merges both.
    await b.put('regions', { id: 'r3', description: '', parent_region_id: null });
    await a.put('regions', { id: 'r4', description: '', parent_region_id: null });
    b.replica.mergeSnapshot(doc, a.replica.snapshot(doc) ?? new Uint8Array());
    expect(
      b
        .list('regions')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(b.replica.heads(doc)).toHaveLength(2);
    for (const s of [a, b, c]) await s.close();
  });

  it('three replicas sharing a budget of two documents converge like unbounded ones', async () => {
    const clock = manualClock();
    const net = createMemoryNetwork({ clock });
    const budget = new LiveDocBudget(2);
    const ids = ['a', 'b', 'c'];
    const sites = await Promise.all(
      ids.map(async (id) => {
        const store = await createReplicatedCatalog({
          siteId: id,
          persistence: memoryPersistence(),
          clock,
          log: silentLogger,
          liveDocs: budget,
        });
        const sync = startCatalogSync({
          replica: store.replica,
          transport: net.endpoint(id),
          clock,
          log: silentLogger,
        });
        return { id, store, sync };
      }),
    );
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await net.settle();
        clock.advance(1000);
        for (const s of sites) await s.store.flush();
      }
      await net.settle();
    };
    for (const s of sites) for (let i = 0; i < 20; i++) await s.store.put('users', user(`${s.id}${i}`));
    await settle();
    net.partition([['a'], ['b', 'c']]);
    await sites[0]?.store.put('users', user('shared', 'from-a'));
    await sites[2]?.store.put('users', user('shared', 'from-c'));
    await sites[1]?.store.delete('users', 'a3');
    await settle();
    net.heal();
    await settle();
    const [first, ...rest] = sites.map((s) => snapshotOf(s.store));
    expect((first?.users ?? []).length).toBe(60);
    for (const r of rest) expect(r).toEqual(first);
    expect(budget.stats().live).toBeLessThanOrEqual(2);
    expect(budget.stats().loads).toBeGreaterThan(0);
    for (const s of sites) {
      s.sync.stop();
      await s.store.close();
    }
  });
});
