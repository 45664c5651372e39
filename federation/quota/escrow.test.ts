import { describe, expect, it } from 'vitest';
import { type EscrowView, grantAmount, mergeGiven, resplit, spendable, splitLimit } from './escrow.ts';

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

describe('splitLimit', () => {
  it('splits exactly, deterministically, whatever the order of sites', () => {
    expect(splitLimit(10, ['c', 'a', 'b'])).toEqual({ a: 4, b: 3, c: 3 });
    expect(splitLimit(10, ['b', 'c', 'a'])).toEqual(splitLimit(10, ['a', 'b', 'c']));
    expect(splitLimit(2, ['a', 'b', 'c'])).toEqual({ a: 1, b: 1, c: 0 });
    expect(splitLimit(-1, ['a'])).toEqual({});
  });
});

describe('resplit', () => {
  it('adds or takes the difference evenly, keeps relative shares, and sums to the new limit', () => {
    expect(resplit({ a: 8, b: 1, c: 1 }, 10, 10, ['a', 'b', 'c'])).toEqual({ a: 8, b: 1, c: 1 });
    expect(resplit({ a: 8, b: 1, c: 1 }, 10, 13, ['a', 'b', 'c'])).toEqual({ a: 9, b: 2, c: 2 });
    expect(resplit({ a: 8, b: 1, c: 1 }, 10, 7, ['a', 'b', 'c'])).toEqual({ a: 7, b: 0, c: 0 });
    expect(resplit({ a: 5, b: 5 }, 10, 13, ['a', 'b', 'c'])).toEqual({ a: 6, b: 6, c: 1 });
    expect(resplit(undefined, -1, 4, ['b', 'a'])).toEqual({ a: 2, b: 2 });
    expect(resplit({ a: 5 }, -1, 4, ['a', 'b'])).toEqual({ a: 2, b: 2 });
    for (const to of [0, 1, 5, 17, 100]) {
      const out = resplit({ a: 3, b: 9, c: 0 }, 12, to, ['a', 'b', 'c', 'd']);
      expect(Object.values(out).reduce((n, x) => n + x, 0)).toBe(to);
    }
  });
});

describe('grantAmount', () => {
  it('grants the need or half the spare, never more than the spare', () => {
    expect(grantAmount(10, 1)).toBe(5);
    expect(grantAmount(10, 7)).toBe(7);
    expect(grantAmount(3, 7)).toBe(3);
    expect(grantAmount(0, 1)).toBe(0);
  });
});

/**
 * Random grants, consumption, releases and lagging replication (a partition is a view that stops being updated):
 * the sum of what every site consumes never exceeds the limit, and the true spendable shares always sum to it.
 */
describe('escrow arithmetic under random schedules (property)', () => {
  const SITES = ['a', 'b', 'c', 'd'];
  for (let seed = 1; seed <= 40; seed++) {
    it(`never exceeds the limit (seed ${seed})`, () => {
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const limit = Math.floor(random() * 30);
      const shares = splitLimit(limit, SITES);
      // The truth: each giver's own counters. Each site's view: what it has seen of every giver's counters.
      const truth: Record<string, Record<string, number>> = Object.fromEntries(SITES.map((s) => [s, {}]));
      const views: Record<string, Record<string, Record<string, number>>> = Object.fromEntries(
        SITES.map((s) => [s, {}]),
      );
      const used: Record<string, number> = Object.fromEntries(SITES.map((s) => [s, 0]));
      const viewOf = (s: string): EscrowView => ({
        limit,
        version: 'v',
        shares,
        given: mergeGiven(views[s] ?? {}, { [s]: truth[s] ?? {} }),
      });
      for (let step = 0; step < 400; step++) {
        const s = pick(SITES);
        const r = random();
        if (r < 0.4) {
          const want = 1 + Math.floor(random() * 3);
          if ((used[s] ?? 0) + want <= spendable(viewOf(s), s)) used[s] = (used[s] ?? 0) + want;
        } else if (r < 0.55) {
          if ((used[s] ?? 0) > 0) used[s] = (used[s] ?? 0) - 1;
        } else if (r < 0.8) {
          const to = pick(SITES.filter((x) => x !== s));
          const amount = grantAmount(spendable(viewOf(s), s) - (used[s] ?? 0), 1 + Math.floor(random() * 4));
          const row = truth[s] ?? {};
          row[to] = (row[to] ?? 0) + amount;
          // The receiver learns of it only if the reply arrives (it may not: partition).
          if (random() < 0.7) views[to] = mergeGiven(views[to] ?? {}, { [s]: { ...row } });
        } else {
          // Replication of one giver's record to one site (any order, any lag).
          const g = pick(SITES);
          const to = pick(SITES);
          views[to] = mergeGiven(views[to] ?? {}, { [g]: { ...(truth[g] ?? {}) } });
        }
        const total = SITES.reduce((n, x) => n + (used[x] ?? 0), 0);
        expect(total, `seed ${seed} step ${step}`).toBeLessThanOrEqual(limit);
        const exact: EscrowView = { limit, version: 'v', shares, given: truth };
        expect(SITES.reduce((n, x) => n + spendable(exact, x), 0)).toBe(limit);
        for (const x of SITES) expect(spendable(viewOf(x), x)).toBeLessThanOrEqual(spendable(exact, x));
      }
    });
  }
});
