import { describe, expect, it } from 'vitest';
import type { CatalogChange, CatalogStore } from '../ports/catalog-store.ts';
import type { Domain } from '../schemas/catalog/index.ts';

/** Hooks a catalog-store implementation provides to the contract suite. */
export interface CatalogStoreHarness {
  /** A fresh, empty store. */
  open(): Promise<CatalogStore>;
  /** Closes and reopens the same store (persistence check); omit for stores that do not persist. */
  reopen?(store: CatalogStore): Promise<CatalogStore>;
}

const domain = (id: string, name = id): Domain => ({ id, name, description: '', enabled: true });

/** The one contract every CatalogStore passes (fake, SQLite, Automerge). */
export function runCatalogStoreContract(name: string, harness: CatalogStoreHarness): void {
  describe(`CatalogStore contract: ${name}`, () => {
    it('reads its own writes synchronously and lists in insertion order', async () => {
      const s = await harness.open();
      const p = s.put('domains', domain('a'));
      expect(s.get('domains', 'a')?.name).toBe('a');
      await p;
      await s.put('domains', domain('b'));
      expect(s.list('domains').map((d) => d.id)).toEqual(['a', 'b']);
      await s.close();
    });

    it('upserts whole records and returns frozen snapshots', async () => {
      const s = await harness.open();
      await s.put('domains', domain('a', 'first'));
      await s.put('domains', { ...domain('a', 'second'), enabled: false });
      const got = s.get('domains', 'a');
      expect(got).toEqual({ ...domain('a', 'second'), enabled: false });
      expect(Object.isFrozen(got)).toBe(true);
      await s.close();
    });

    it('deletes idempotently', async () => {
      const s = await harness.open();
      await s.put('domains', domain('a'));
      expect(await s.delete('domains', 'a')).toBe(true);
      expect(await s.delete('domains', 'a')).toBe(false);
      expect(s.get('domains', 'a')).toBeUndefined();
      await s.close();
    });

    it('applies a batch and notifies once per write, as local', async () => {
      const s = await harness.open();
      const seen: CatalogChange[] = [];
      const off = s.subscribe((c) => seen.push(c));
      await s.apply([
        { op: 'put', collection: 'domains', record: domain('x') },
        { op: 'put', collection: 'domains', record: domain('y') },
        { op: 'delete', collection: 'domains', id: 'x' },
      ]);
      off();
      await s.put('domains', domain('z'));
      expect(seen.map((c) => [c.id, c.record === undefined, c.origin])).toEqual([
        ['x', false, 'local'],
        ['y', false, 'local'],
        ['x', true, 'local'],
      ]);
      expect(s.list('domains').map((d) => d.id)).toEqual(['y', 'z']);
      await s.close();
    });

    it('keeps collections apart', async () => {
      const s = await harness.open();
      await s.put('domains', domain('same'));
      expect(s.get('projects', 'same')).toBeUndefined();
      await s.close();
    });

    const reopen = harness.reopen;
    if (reopen) {
      it('keeps every acknowledged write across a restart', async () => {
        let s = await harness.open();
        await s.put('domains', domain('a'));
        await s.apply([
          { op: 'put', collection: 'domains', record: domain('b') },
          { op: 'delete', collection: 'domains', id: 'a' },
        ]);
        s = await reopen(s);
        expect(s.list('domains').map((d) => d.id)).toEqual(['b']);
        await s.close();
      });
    }
  });
}
