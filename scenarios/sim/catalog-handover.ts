/**
 * The sim's warm-up before time 0, at scale: instead of every site joining the federation one after the other and
 * syncing the whole catalog from its peers (each newcomer receiving every document from every neighbour: O(n²)
 * documents, minutes at 50 sites), the sites start isolated, each bootstraps against a copy of the first site's
 * catalog, and each then receives the union of every site's documents as whole-document snapshots through its
 * replica's own merge path (`mergeSnapshot`, what catalog sync does with a SNAP frame). The result is the state a
 * federation reaches after its sites joined and synced; what happens from time 0 on goes through the real sync.
 */
import { loadDoc } from '../../federation/automerge/backend.ts';
import { decodeSnapshot, sameHeads } from '../../federation/store/shards.ts';
import type { DocReplica } from '../../federation/sync/replica.ts';

/** One document of the union: its merged bytes and heads. */
export interface UnionDoc {
  bytes: Uint8Array;
  heads: string[];
}

/** Each site's documents, as whole-document snapshots. */
function versionsOf(replicas: readonly DocReplica[]): Map<string, DocReplica[]> {
  const holders = new Map<string, DocReplica[]>();
  for (const r of replicas) {
    for (const doc of r.docs()) {
      if (r.heads(doc).length === 0) continue;
      let list = holders.get(doc);
      if (!list) {
        list = [];
        holders.set(doc, list);
      }
      list.push(r);
    }
  }
  return holders;
}

/** Merges every replica's version of every document into one (Automerge merge: the same as syncing them all). */
export function catalogUnion(replicas: readonly DocReplica[]): Map<string, UnionDoc> {
  const out = new Map<string, UnionDoc>();
  for (const [doc, holders] of [...versionsOf(replicas)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [first, ...rest] = holders;
    if (!first) continue;
    const heads = first.heads(doc);
    const differing = rest.filter((r) => !sameHeads(r.heads(doc), heads));
    const bytes = first.snapshot(doc);
    if (!bytes) continue;
    if (differing.length === 0) {
      out.set(doc, { bytes, heads });
      continue;
    }
    const merged = loadDoc('00', [bytes]);
    try {
      const seen = [heads];
      for (const r of differing) {
        const h = r.heads(doc);
        if (seen.some((s) => sameHeads(s, h))) continue;
        seen.push(h);
        const b = r.snapshot(doc);
        if (b) merged.loadIncremental(b);
      }
      out.set(doc, { bytes: merged.save(), heads: merged.getHeads() });
    } finally {
      merged.free();
    }
  }
  return out;
}

/**
 * Gives `replica` every union document it lacks or holds another version of; returns how many it merged. The
 * union's bytes are decoded once for all replicas (federation/store/shards.ts `decodeSnapshot`), so a replica takes
 * a document it lacks, or a descendant of the version it holds, without loading it.
 */
export function handOver(replica: DocReplica, union: ReadonlyMap<string, UnionDoc>): number {
  let merged = 0;
  for (const [doc, u] of union) {
    if (sameHeads(replica.heads(doc), u.heads)) continue;
    decodeSnapshot(u.bytes, true);
    replica.mergeSnapshot(doc, u.bytes);
    merged++;
  }
  return merged;
}
