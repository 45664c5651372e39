/**
 * Seeded property test: random writes at random sites under random partition schedules. After a final heal every
 * replica holds the same records, no acknowledged create is lost, every record shows a value someone wrote, and
 * names created at two sites are in some site's ledger. A failing seed is a regression scenario to freeze.
 */
import { describe, expect, it } from 'vitest';
import type { User } from '../../shared/schemas/catalog/index.ts';
import { createTestFederation, expectConverged, type TestFederationOptions } from '../testing/federation.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const FOUR = ['a', 'b', 'c', 'd'];
/**
 * The sparse overlay forced on a small federation: ring neighbours and fingers only, relays carry the rest; few sync
 * states per peer, so exchanges are evicted and restarted all the time.
 */
const SPARSE: TestFederationOptions = { sync: { overlay: { fullMeshMax: 1, successors: 1 }, maxStatesPerPeer: 3 } };

async function run(seed: number, SITES = FOUR, options: TestFederationOptions = {}): Promise<void> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const fed = await createTestFederation(SITES, options);
  const written = new Map<string, Set<string>>();
  const creators = new Map<string, Set<string>>();
  const deleted = new Set<string>();
  let next = 0;
  try {
    for (let step = 0; step < 60; step++) {
      const r = random();
      const site = pick(SITES);
      const store = fed.site(site).store;
      if (r < 0.1) {
        const shuffled = SITES.toSorted(() => random() - 0.5);
        const cut = 1 + Math.floor(random() * (SITES.length - 1));
        fed.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      } else if (r < 0.18) {
        fed.net.heal();
      } else if (r < 0.3) {
        await fed.settle(1);
      } else if (r < 0.65 || written.size === 0) {
        const id = `u${seed}-${next++}`;
        const name = `name${Math.floor(random() * 6)}`;
        const u: User = { id, name, domain_id: 'default', enabled: true, description: `${site}:${step}` };
        await store.put('users', u);
        written.set(id, new Set([JSON.stringify(u)]));
        creators.set(name, (creators.get(name) ?? new Set()).add(site));
      } else if (r < 0.9) {
        const id = pick([...written.keys()]);
        const current = store.get('users', id);
        const u: User = { ...(current ?? { id, name: `name-${id}`, domain_id: 'default', enabled: true }) };
        u.description = `${site}:${step}`;
        await store.put('users', u);
        written.get(id)?.add(JSON.stringify(u));
      } else {
        const id = pick([...written.keys()]);
        if (await store.delete('users', id)) deleted.add(id);
      }
      fed.clock.advance(7);
    }
    fed.net.heal();
    await fed.settle(4);
    expectConverged(fed);
    const final = fed.site('a').store;
    for (const [id, values] of written) {
      const got = final.get('users', id);
      if (!deleted.has(id)) expect(got, `seed ${seed}: ${id} lost`).toBeDefined();
      if (got) expect(values.has(JSON.stringify(got)), `seed ${seed}: ${id} has a value nobody wrote`).toBe(true);
    }
    const ledger = SITES.flatMap((s) => fed.site(s).store.conflicts());
    const byName = new Map<string, string[]>();
    for (const u of final.list('users')) byName.set(u.name, [...(byName.get(u.name) ?? []), u.id]);
    for (const [name, ids] of byName) {
      if (ids.length < 2 || (creators.get(name)?.size ?? 0) < 2) continue;
      const entries = ledger.filter((e) => e.kind === 'duplicate_name' && e.reason.includes(`"${name}"`));
      expect(entries.length, `seed ${seed}: duplicate ${name} not in any ledger`).toBeGreaterThan(0);
    }
  } finally {
    await fed.close();
  }
}

describe('random partitions and writes', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`converges without losing writes (seed ${seed})`, async () => {
      await run(seed);
    });
  }
  for (const seed of [11, 12, 13, 14]) {
    it(`converges over the sparse overlay, 9 sites (seed ${seed})`, async () => {
      await run(seed, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], SPARSE);
    });
  }
});
