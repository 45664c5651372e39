/**
 * Seeded property test: random consumption, releases, limit raises and catalog sync at random sites under random
 * partition schedules. At every step the federation-wide consumption stays within the limit ("no quota exceeded"); after a
 * final heal every site agrees on the escrow and the spendable shares add up to the limit exactly.
 */
import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../testing/federation.ts';
import { createEscrowFederation, totalUsed } from './testing.ts';

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

const SITES = ['a', 'b', 'c', 'd'];
const P = 'proj';
const R = 'compute.cores';

async function run(seed: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let limit = 5 + Math.floor(random() * 20);
  let maxLimit = limit;
  const fed = await createEscrowFederation(SITES);
  try {
    if (random() < 0.5) {
      await fed.site(pick(SITES)).escrow.setLimit(P, R, limit);
      await fed.settle();
    }
    for (let step = 0; step < 80; step++) {
      const r = random();
      const site = fed.site(pick(SITES));
      if (r < 0.1) {
        const shuffled = SITES.toSorted(() => random() - 0.5);
        const cut = 1 + Math.floor(random() * (SITES.length - 1));
        fed.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      } else if (r < 0.16) {
        fed.net.heal();
      } else if (r < 0.22) {
        await fed.settle(1);
      } else if (r < 0.26) {
        // An admin raises the limit, or sets it again, at some site (maybe partitioned from the others).
        limit += Math.floor(random() * 3);
        maxLimit = Math.max(maxLimit, limit);
        await site.escrow.setLimit(P, R, limit);
      } else if (r < 0.8) {
        await site.take(P, R, 1 + Math.floor(random() * 3), limit);
      } else {
        site.release(P, R, 1 + Math.floor(random() * 2));
      }
      expect(totalUsed(fed, P, R), `seed ${seed} step ${step}: quota exceeded`).toBeLessThanOrEqual(maxLimit);
      fed.clock.advance(7);
    }
    fed.net.heal();
    await fed.settle(4);
    const want = snapshotOf(fed.site('a').store);
    for (const s of fed.sites()) expect(snapshotOf(s.store), `seed ${seed}: records at ${s.id}`).toEqual(want);
    for (const s of fed.sites()) {
      const [status] = s.escrow.status(P);
      const sum = Object.values(status?.sites ?? {}).reduce((n, x) => n + x.spendable, 0);
      expect(sum, `seed ${seed}: shares at ${s.id}`).toBe(status?.limit);
    }
  } finally {
    await fed.close();
  }
}

describe('quota escrow under random partitions', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`never exceeds the limit and converges (seed ${seed})`, async () => {
      await run(seed);
    });
  }
});
