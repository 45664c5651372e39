import { digest } from '../catalog/layout.ts';
import { ringHash } from './overlay.ts';
import type { DocReplica } from './replica.ts';
import type { HeadsPayload } from './wire.ts';

/** Documents are grouped in this many buckets for scoped HEADS exchanges (see {@link HeadsIndex}). */
export const HEAD_BUCKETS = 64;

/** The bucket of a document key. */
export function bucketOf(doc: string): number {
  let b = bucketCache.get(doc);
  if (b === undefined) {
    b = ringHash(doc) % HEAD_BUCKETS;
    if (bucketCache.size > 200_000) bucketCache.clear();
    bucketCache.set(doc, b);
  }
  return b;
}
const bucketCache = new Map<string, number>();

/**
 * Digests of a replica's heads, cached until documents change: the whole-catalog digest peers compare (the same
 * text as before buckets existed, so older peers agree with it) and one digest per bucket of documents, so two
 * sites that differ exchange the heads of the differing buckets only, not of every document (thousands of
 * documents in a large federation: the per-site `sites` and key records alone are one document per site).
 */
export interface HeadsIndex {
  /** Digest of every (doc, heads) held. */
  digest(): string;
  /** Digest per bucket (index = bucket; the digest of nothing for an empty bucket). */
  buckets(): string[];
  /** doc -> [sorted heads, change count], for every document or only those in `scope` buckets. */
  heads(scope?: ReadonlySet<number>): HeadsPayload['docs'];
  /** Documents changed: their buckets and the whole digest are recomputed on next use. */
  changed(docs: readonly string[]): void;
}

/** A {@link HeadsIndex} over `replica`. */
export function headsIndex(replica: DocReplica): HeadsIndex {
  let whole: string | undefined;
  let perBucket: string[] | undefined;
  const stale = new Set<number>();
  const part = (d: string) => `${d}=${replica.heads(d).toSorted().join(',')}`;

  const buckets = (): string[] => {
    if (perBucket && stale.size === 0) return perBucket;
    const want = perBucket ? stale : undefined;
    const parts: string[][] = Array.from({ length: HEAD_BUCKETS }, () => []);
    for (const d of replica.docs()) {
      const b = bucketOf(d);
      if (want && !want.has(b)) continue;
      const p = part(d);
      if (!p.endsWith('=')) parts[b]?.push(p);
    }
    const next = perBucket ?? [];
    for (let b = 0; b < HEAD_BUCKETS; b++) {
      if (want && !want.has(b)) continue;
      next[b] = digest((parts[b] ?? []).sort().join(';'));
    }
    perBucket = next;
    stale.clear();
    return perBucket;
  };

  return {
    digest() {
      whole ??= digest(
        replica
          .docs()
          .toSorted()
          .map(part)
          .filter((p) => !p.endsWith('='))
          .join(';'),
      );
      return whole;
    },
    buckets,
    heads(scope) {
      const out: HeadsPayload['docs'] = {};
      for (const doc of replica.docs()) {
        if (scope && !scope.has(bucketOf(doc))) continue;
        const heads = replica.heads(doc);
        if (heads.length > 0) out[doc] = [heads.toSorted(), replica.changeCount(doc)];
      }
      return out;
    },
    changed(docs) {
      whole = undefined;
      for (const d of docs) stale.add(bucketOf(d));
    },
  };
}
