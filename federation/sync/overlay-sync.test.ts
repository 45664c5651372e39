/**
 * Catalog sync over the sparse overlay: 40 sites on the memory network, with the real replicated catalog. Writes
 * reach every site through relays at a fan-out far below n², partition groups converge on their own, and every
 * replica converges after the heal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../shared/schemas/catalog/index.ts';
import { createTestFederation, expectConverged, type TestFederation } from '../testing/federation.ts';
import { maxDegree } from './overlay.ts';

const N = 40;
const ids = Array.from({ length: N }, (_, i) => `s${String(i).padStart(2, '0')}`);
const user = (id: string, site: string): User => ({
  id,
  name: `n-${id}`,
  domain_id: 'default',
  enabled: true,
  description: site,
});

describe(`catalog sync over the overlay (${N} sites)`, () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await createTestFederation(ids);
    await fed.settle(2);
  }, 60_000);
  afterAll(async () => {
    await fed?.close();
  });

  it('uses a bounded neighbour set, not the full mesh', () => {
    for (const id of ids) {
      const st = fed.site(id).sync.status();
      expect(st.fullMesh).toBe(false);
      expect(st.peers.length).toBe(N - 1);
      expect(st.neighbours.length).toBeLessThanOrEqual(maxDegree(N));
      expect(st.neighbours.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('relays one write to every site at a fan-out below n²', async () => {
    const before = fed.net.stats().sent;
    await fed.site('s07').store.put('users', user('u-one', 's07'));
    await fed.site('s07').store.flush();
    await fed.net.settle();
    const messages = fed.net.stats().sent - before;
    for (const id of ids) expect(fed.site(id).store.get('users', 'u-one'), id).toBeDefined();
    // Full mesh: every site pushes to every other one (n² sync rounds). Flooding the overlay: ~2 per neighbour and
    // site. Relay ranges: each site receives the change about once (push and answer, two rounds for a new doc).
    expect(messages).toBeLessThan(N * 6);
  });

  it('converges every partition group alone, then every replica after the heal', async () => {
    const groups = [
      ids.filter((_, i) => i % 3 === 0),
      ids.filter((_, i) => i % 3 === 1),
      ids.filter((_, i) => i % 3 === 2),
    ];
    fed.net.partition(groups);
    await fed.settle(1);
    let n = 0;
    for (const g of groups) for (const id of g.slice(0, 4)) await fed.site(id).store.put('users', user(`u${n++}`, id));
    // The same record changed on every side.
    for (const g of groups)
      await fed.site(g[1] ?? '').store.put('users', { ...user('u-one', 'x'), email: `${g[1]}@x` });
    await fed.settle(2);
    for (const [gi, g] of groups.entries()) {
      const first = fed.site(g[0] ?? '');
      for (const id of g) {
        expect(fed.site(id).store.list('users').length, `${id} in group ${gi}`).toBe(first.store.list('users').length);
        expect(fed.site(id).sync.status().digest, `${id} in group ${gi}`).toBe(first.sync.status().digest);
      }
    }
    fed.net.heal();
    await fed.settle(3);
    expectConverged(fed);
    expect(fed.site('s00').store.list('users').length).toBe(n + 1);
    const digests = new Set(ids.map((id) => fed.site(id).sync.status().digest));
    expect(digests.size).toBe(1);
  });
});
