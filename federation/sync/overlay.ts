/**
 * The sync overlay: which reachable peers a site pushes changes and digests to. Small federations (at most
 * `fullMeshMax` sites reachable, self included) use every peer, as before. Larger ones place every reachable site on
 * a ring ordered by a hash of its id and pick, from this site's position, `successors` successors and predecessors
 * plus "fingers" at distances 2^m (m = 1, 2, …) further along the ring: an out-degree of at most
 * 2·successors + log2(n), a graph of O(log n) diameter, and — because successor and predecessor links alone close
 * the ring — a strongly connected graph among the sites that see the same reachable set (one partition group).
 * Pure and deterministic: the same reachable set gives the same neighbours whatever its order.
 */

/** Options of the overlay. */
export interface OverlayOptions {
  /** At most this many sites reachable (self included): every peer is a neighbour (default 8). */
  fullMeshMax?: number;
  /** Ring successors and predecessors each (default 2). */
  successors?: number;
}

/** Defaults of {@link OverlayOptions}. */
export const OVERLAY_DEFAULTS = { fullMeshMax: 8, successors: 2 } as const;

/** 32-bit FNV-1a of a string's UTF-16 code units: a stable ring position (not a security property). */
export function ringHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const hashes = new Map<string, number>();
const hashOf = (id: string): number => {
  let h = hashes.get(id);
  if (h === undefined) {
    h = ringHash(id);
    if (hashes.size > 100_000) hashes.clear();
    hashes.set(id, h);
  }
  return h;
};

/** Every id of `ids` (deduplicated) in ring order: by hash, then by id. */
export function ringOrder(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => hashOf(a) - hashOf(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Largest out-degree of the overlay for `n` sites (self included). */
export function maxDegree(n: number, options: OverlayOptions = {}): number {
  const fullMeshMax = options.fullMeshMax ?? OVERLAY_DEFAULTS.fullMeshMax;
  if (n <= fullMeshMax) return Math.max(0, n - 1);
  const k = options.successors ?? OVERLAY_DEFAULTS.successors;
  return Math.min(n - 1, 2 * k + Math.ceil(Math.log2(n)));
}

/** The overlay of one site: its neighbours and the ring they were drawn from. */
export interface Overlay {
  /** Peers to push to and exchange digests with, sorted by id. */
  neighbours: string[];
  /** Every reachable site, self included, in ring order. */
  ring: string[];
  /** Whether every peer is a neighbour (small federation). */
  fullMesh: boolean;
}

/** Clockwise ring distances a site picks as neighbours among `n` sites (sparse overlay; see {@link overlayOf}). */
export function neighbourDistances(n: number, options: OverlayOptions = {}): Set<number> {
  const k = Math.max(1, options.successors ?? OVERLAY_DEFAULTS.successors);
  const out = new Set<number>();
  for (let j = 1; j <= k; j++) {
    out.add(j % n);
    out.add((((n - j) % n) + n) % n);
  }
  for (let step = 2 * k; step < n; step *= 2) out.add(step);
  out.delete(0);
  return out;
}

/** Whether `a` has `b` among its neighbours when both see `overlay.ring` (the same reachable set). */
export function picks(overlay: Overlay, a: string, b: string, options: OverlayOptions = {}): boolean {
  if (overlay.fullMesh) return true;
  const n = overlay.ring.length;
  const i = overlay.ring.indexOf(a);
  const j = overlay.ring.indexOf(b);
  if (i < 0 || j < 0) return false;
  return neighbourDistances(n, options).has((j - i + n) % n);
}

/** This site's overlay among the peers reachable now (see the module comment). */
export function overlayOf(self: string, reachable: readonly string[], options: OverlayOptions = {}): Overlay {
  const fullMeshMax = options.fullMeshMax ?? OVERLAY_DEFAULTS.fullMeshMax;
  const k = Math.max(1, options.successors ?? OVERLAY_DEFAULTS.successors);
  const ring = ringOrder([self, ...reachable]);
  const n = ring.length;
  if (n <= fullMeshMax) {
    return { neighbours: ring.filter((p) => p !== self).sort(), ring, fullMesh: true };
  }
  const i = ring.indexOf(self);
  const out = new Set<string>();
  for (const d of neighbourDistances(n, { successors: k })) out.add(ring[(i + d) % n] as string);
  out.delete(self);
  return { neighbours: [...out].sort(), ring, fullMesh: false };
}
