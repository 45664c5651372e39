import { describe, expect, it } from 'vitest';
import { maxDegree, overlayOf, picks, ringHash, ringOrder } from './overlay.ts';
import { relayTargets } from './relay.ts';

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

const ids = (n: number, prefix = 'site') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Sites of `group` reachable from `from` along directed overlay edges computed from each site's own view. */
function reached(group: readonly string[], options: Parameters<typeof overlayOf>[2]): Map<string, Set<string>> {
  const edges = new Map<string, string[]>();
  for (const s of group) {
    edges.set(
      s,
      overlayOf(
        s,
        group.filter((p) => p !== s),
        options,
      ).neighbours,
    );
  }
  const out = new Map<string, Set<string>>();
  for (const s of group) {
    const seen = new Set([s]);
    const todo = [s];
    for (let x = todo.pop(); x !== undefined; x = todo.pop()) {
      for (const y of edges.get(x) ?? []) {
        if (!seen.has(y)) {
          seen.add(y);
          todo.push(y);
        }
      }
    }
    out.set(s, seen);
  }
  return out;
}

describe('sync overlay', () => {
  it('is the full mesh up to fullMeshMax sites', () => {
    const o = overlayOf('site0', ids(8).slice(1));
    expect(o.fullMesh).toBe(true);
    expect(o.neighbours).toEqual(ids(8).slice(1).sort());
    expect(overlayOf('site0', ids(9).slice(1)).fullMesh).toBe(false);
  });

  it('is deterministic: the same reachable set in any order gives the same neighbours', () => {
    const peers = ids(200).slice(1);
    const random = rng(7);
    const shuffled = peers.toSorted(() => random() - 0.5);
    expect(overlayOf('site0', shuffled)).toEqual(overlayOf('site0', peers));
    expect(ringOrder([...peers].reverse())).toEqual(ringOrder(peers));
    expect(ringHash('site0')).toBe(ringHash('site0'));
  });

  it('bounds the degree by 2k + log2 n, never picking self or unreachable sites', () => {
    for (const n of [9, 30, 100, 1000]) {
      const all = ids(n);
      const bound = maxDegree(n);
      expect(bound).toBeLessThanOrEqual(4 + Math.ceil(Math.log2(n)));
      for (const s of all.slice(0, 50)) {
        const { neighbours } = overlayOf(
          s,
          all.filter((p) => p !== s),
        );
        expect(neighbours.length).toBeLessThanOrEqual(bound);
        expect(neighbours.length).toBeGreaterThanOrEqual(Math.min(n - 1, 4));
        expect(neighbours).not.toContain(s);
        for (const p of neighbours) expect(all).toContain(p);
      }
    }
    const wide = overlayOf('site0', ids(1000).slice(1), { successors: 4 });
    expect(wide.neighbours.length).toBeLessThanOrEqual(maxDegree(1000, { successors: 4 }));
  });

  it('keeps every partition group strongly connected (random splits of up to 300 sites)', () => {
    const random = rng(42);
    for (let round = 0; round < 25; round++) {
      const n = 9 + Math.floor(random() * 290);
      const all = ids(n, `r${round}-`);
      const groupCount = 1 + Math.floor(random() * 4);
      const groups: string[][] = Array.from({ length: groupCount }, () => []);
      for (const s of all) groups[Math.floor(random() * groupCount)]?.push(s);
      for (const g of groups) {
        if (g.length === 0) continue;
        const options = { fullMeshMax: 1 + Math.floor(random() * 8), successors: 1 + Math.floor(random() * 3) };
        for (const [s, seen] of reached(g, options)) {
          expect(seen.size, `round ${round}: ${s} reaches its whole group`).toBe(g.length);
        }
      }
    }
  });

  it('has a small diameter: a change crosses 1000 sites in few relays', () => {
    const all = ids(1000);
    const edges = new Map(
      all.map((s) => [
        s,
        overlayOf(
          s,
          all.filter((p) => p !== s),
        ).neighbours,
      ]),
    );
    let frontier = ['site0'];
    const seen = new Set(frontier);
    let hops = 0;
    while (seen.size < all.length) {
      frontier = frontier.flatMap((x) => (edges.get(x) ?? []).filter((y) => !seen.has(y) && seen.add(y)));
      hops++;
      expect(frontier.length).toBeGreaterThan(0);
    }
    expect(hops).toBeLessThanOrEqual(12);
  });
});

describe('relay ranges', () => {
  it('reach every site of a ring exactly once from any origin', () => {
    for (const n of [9, 40, 257]) {
      const all = ids(n);
      const ring = ringOrder(all);
      const nb = new Map(
        all.map((s) => [
          s,
          overlayOf(
            s,
            all.filter((p) => p !== s),
          ).neighbours,
        ]),
      );
      for (const origin of all.slice(0, 5)) {
        const got = new Map<string, number>([[origin, 1]]);
        const todo: Array<[string, string]> = [[origin, origin]];
        for (let x = todo.pop(); x; x = todo.pop()) {
          const [site, limit] = x;
          for (const [p, l] of relayTargets(ring, site, nb.get(site) ?? [], limit) ?? []) {
            got.set(p, (got.get(p) ?? 0) + 1);
            todo.push([p, l]);
          }
        }
        expect(got.size, `n=${n} from ${origin}`).toBe(n);
        expect([...got.values()].every((c) => c === 1)).toBe(true);
      }
    }
  });

  it('says flood when the limit is not on this site ring', () => {
    expect(relayTargets(['a', 'b', 'c'], 'a', ['b'], 'z')).toBeUndefined();
    expect(relayTargets(['a', 'b', 'c'], 'a', ['b', 'c'], 'a')).toEqual([
      ['b', 'c'],
      ['c', 'a'],
    ]);
  });
});

describe('picks', () => {
  it('agrees with every site overlay', () => {
    const all = ids(60);
    const overlays = new Map(
      all.map((s) => [
        s,
        overlayOf(
          s,
          all.filter((p) => p !== s),
        ),
      ]),
    );
    for (const a of all) {
      const o = overlays.get(a);
      if (!o) continue;
      for (const b of all) if (a !== b) expect(picks(o, a, b), `${a} picks ${b}`).toBe(o.neighbours.includes(b));
    }
  });
});
