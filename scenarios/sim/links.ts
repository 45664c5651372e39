import type { LinkSpec, Scenario } from '../schema.ts';

/** A small deterministic generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string (stable per-pair offsets). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The declared link between `a` and `b`: the default, overridden by every matching `between` entry in order. */
export function declaredLink(s: Scenario, a: string, b: string): LinkSpec {
  let link: LinkSpec = { ...s.links.default };
  for (const e of s.links.between) {
    if ((e.a.includes(a) && e.b.includes(b)) || (e.a.includes(b) && e.b.includes(a))) link = { ...link, ...e.link };
  }
  return link;
}

/**
 * The link as the simulation carries it: jitter becomes a fixed seeded offset in [-jitter, +jitter] per pair (the
 * memory network keeps per-link order, so per-message jitter would only delay, never reorder).
 */
export function linkBetween(s: Scenario, a: string, b: string, seed: number): LinkSpec {
  const l = declaredLink(s, a, b);
  if (!l.jitter) return l;
  const key = a < b ? `${a}|${b}` : `${b}|${a}`;
  const u = seededRandom(hash(key) ^ seed)();
  return { ...l, latency: Math.max(0, (l.latency ?? 0) + (2 * u - 1) * l.jitter) };
}
