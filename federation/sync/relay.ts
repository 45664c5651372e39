/**
 * Relay ranges (sparse overlay): a change is forwarded along the ring like a Chord broadcast instead of flooded to
 * every neighbour. The site that writes covers the whole ring; each site it pushes to gets the part of the ring up to
 * the next target (clockwise), and forwards within that part only. Every site in a partition group that shares one
 * view of the ring receives the change once, so a write costs ~n pushes, not n · degree. A site that merges without
 * a range (older peers, HEADS repairs, concurrent sources) floods to its neighbours as before, and the periodic
 * digests repair anything a differing view of the ring left out.
 */

/**
 * The neighbours to forward to and each one's limit, for a change this site must cover up to `limit` (exclusive,
 * clockwise; `limit === self` = the whole ring). Undefined when `limit` is not on this site's ring (flood instead).
 */
export function relayTargets(
  ring: readonly string[],
  self: string,
  neighbours: Iterable<string>,
  limit: string,
): Array<[peer: string, limit: string]> | undefined {
  const n = ring.length;
  const pos = new Map(ring.map((id, i) => [id, i]));
  const at = pos.get(self);
  const end = pos.get(limit);
  if (at === undefined || end === undefined) return undefined;
  const dist = (p: number) => (p - at + n) % n;
  const span = limit === self ? n : dist(end);
  const targets: Array<[number, string]> = [];
  for (const p of neighbours) {
    const i = pos.get(p);
    if (i === undefined) continue;
    const d = dist(i);
    if (d > 0 && d < span) targets.push([d, p]);
  }
  targets.sort((a, b) => a[0] - b[0]);
  return targets.map(([, p], i) => [p, targets[i + 1]?.[1] ?? limit]);
}
