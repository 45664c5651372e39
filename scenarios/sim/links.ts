import type { LinkOptions } from '../../federation/transports/memory.ts';
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

/** The declared link between `a` and `b`: the default, overridden by every matching `between` entry in order. */
export function declaredLink(s: Scenario, a: string, b: string): LinkSpec {
  let link: LinkSpec = { ...s.links.default };
  for (const e of s.links.between) {
    if ((e.a.includes(a) && e.b.includes(b)) || (e.a.includes(b) && e.b.includes(a))) link = { ...link, ...e.link };
  }
  return link;
}

/** The declared link between `a` and `b` as the simulation carries it (jitter is drawn per message now). */
export function linkBetween(s: Scenario, a: string, b: string, _seed?: number): LinkSpec {
  return declaredLink(s, a, b);
}

/**
 * A declared link as the memory network's options: latency, per-message jitter (seeded, FIFO kept), loss, and
 * bandwidth as a per-direction serialization queue. Only declared properties are set, so a fault changing one
 * property (`setLink`) keeps the others.
 */
export function memoryLink(l: LinkSpec): LinkOptions {
  const out: LinkOptions = {};
  if (l.latency !== undefined) out.latencyMs = l.latency;
  if (l.jitter !== undefined) out.jitterMs = l.jitter;
  if (l.loss !== undefined) out.drop = l.loss;
  if (l.bandwidth !== undefined) out.bandwidth = l.bandwidth;
  return out;
}

/** The fidelity line of the sim's links. */
export const SIM_LINK_FIDELITY =
  'memory transport links: latency, jitter drawn per message from the seeded random source (per-link order kept, as TCP), loss, and bandwidth as serialization delay with a queue per direction';
