import { describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { User } from '../../shared/schemas/catalog/index.ts';
import { decodeSnapshot } from './decoded-snapshots.ts';
import { LiveDocBudget } from './live-docs.ts';
import { memoryPersistence } from './memory-persistence.ts';
import { createReplicatedCatalog } from './replicated-catalog.ts';

const user = (id: string, name = id): User => ({ id, name, domain_id: 'default', enabled: true });
const open = (siteId: string) =>
  createReplicatedCatalog({
    siteId,
    persistence: memoryPersistence({ shareBytes: true }),
    clock: manualClock(),
    log: silentLogger,
    liveDocs: new LiveDocBudget(8),
  });

describe('records of snapshots adopted cold', () => {
  it('are found in their home document through the shared index: deletes and updates go there', async () => {
    const src = await open('src');
    await src.apply([
      { op: 'put', collection: 'users', record: user('u1', 'alice') },
      { op: 'put', collection: 'users', record: user('u2', 'bob') },
    ]);
    const docs = src.replica.docs().sort();
    const b = await open('b');
    const c = await open('c');
    for (const doc of docs) {
      const bytes = src.replica.snapshot(doc) ?? new Uint8Array();
      expect(decodeSnapshot(bytes).maxStamp).toBeGreaterThan(0);
      b.replica.mergeSnapshot(doc, bytes);
      c.replica.mergeSnapshot(doc, bytes);
    }
    const pass = (from: typeof b, to: typeof b) => {
      for (const doc of docs) to.replica.mergeSnapshot(doc, from.replica.snapshot(doc) ?? new Uint8Array());
    };
    // b deletes u1: the tombstone is written into the adopted document, which c then merges.
    expect(await b.delete('users', 'u1')).toBe(true);
    expect(b.replica.docs().sort()).toEqual(docs);
    pass(b, c);
    expect(c.get('users', 'u1')).toBeUndefined();
    // c updates u2 (its document live again): same document, and src sees it.
    await c.put('users', { ...user('u2', 'bob'), email: 'b@c' });
    expect(c.replica.docs().sort()).toEqual(docs);
    pass(c, src);
    expect(src.get('users', 'u2')?.email).toBe('b@c');
    expect(src.get('users', 'u1')).toBeUndefined();
    for (const s of [src, b, c]) await s.close();
  });

  it('a later record of the document is not taken to be in an older version a replica holds', async () => {
    const src = await open('src2');
    await src.put('regions', { id: 'r1', description: '', parent_region_id: null });
    const doc = src.replica.docs()[0] ?? '';
    const v1 = src.replica.snapshot(doc) ?? new Uint8Array();
    await src.put('regions', { id: 'r2', description: 'two', parent_region_id: null });
    const v2 = src.replica.snapshot(doc) ?? new Uint8Array();
    const older = await open('older');
    const newer = await open('newer');
    older.replica.mergeSnapshot(doc, v1);
    newer.replica.mergeSnapshot(doc, v2);
    // `older` lacks r2: deleting it is a no-op, not a tombstone in its copy of the document.
    expect(await older.delete('regions', 'r2')).toBe(false);
    expect(older.replica.heads(doc)).toEqual(decodeSnapshot(v1).heads);
    expect(newer.get('regions', 'r2')?.description).toBe('two');
    for (const s of [src, older, newer]) await s.close();
  });
});
