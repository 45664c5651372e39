import { digest } from '../catalog/layout.ts';
import { ringHash } from './overlay.ts';
import type { DocReplica } from './replica.ts';
import type { HeadsPayload } from './wire.ts';

/** Documents are grouped in this many buckets for scoped HEADS exchanges (see {@link HeadsIndex}). */
export const HEAD_BUCKETS = 64;

const cached = (cache: Map<string, number>, key: string, f: () => number): number => {
  let b = cache.get(key);
  if (b === undefined) {
    b = f();
    if (cache.size > 200_000) cache.clear();
    cache.set(key, b);
  }
  return b;
};
const bucketCache = new Map<string, number>();
const groupCache = new Map<string, number>();

/** The bucket of a document key in scoped HEADS (version 1): spread by the hash of the whole key. */
export function bucketOf(doc: string): number {
  return cached(bucketCache, doc, () => ringHash(doc) % HEAD_BUCKETS);
}

/**
 * The bucket of a document key in grouped HEADS (version 2): by the key without its last segment (the shard of
 * `v1/<collection>/<owner>/<shard>`), so the shards of one collection and owner share a bucket. What differs after a
 * partition is mostly the shards of a few such groups (a domain's users written on both sides): they now fill one or
 * two buckets instead of every bucket (which made every bucket's documents travel).
 */
export function groupOf(doc: string): number {
  return cached(groupCache, doc, () => {
    const cut = doc.lastIndexOf('/');
    return ringHash(cut > 0 ? doc.slice(0, cut) : doc) % HEAD_BUCKETS;
  });
}

/** The short digest of a document's heads sent in grouped HEADS (`hashes`): equal heads, equal digests. */
export function headsHash(sortedHeads: readonly string[]): string {
  return digest(sortedHeads.join(','));
}

/**
 * Digests of a replica's heads, kept up to date incrementally (a changed document marks its bucket stale; only stale
 * buckets are read again, from their own members): the whole-catalog digest every version compares (the same text as
 * before buckets existed) and one digest per bucket in either bucketing (`grouped` = version 2), so two sites that
 * differ exchange the heads of the differing buckets only. Nothing per document is cached but its bucket.
 */
export interface HeadsIndex {
  /** Digest of every (doc, heads) held: the text older peers compare (DIGEST frames); O(documents) when stale. */
  digest(): string;
  /** `g2:` + a digest of the grouped bucket digests: what grouped peers compare, kept incrementally. */
  groupedDigest(): string;
  /** Digest per bucket (index = bucket; the digest of nothing for an empty bucket). */
  buckets(grouped: boolean): string[];
  /** doc -> [sorted heads, change count], for every document or only those in `scope` buckets (version 1 buckets). */
  heads(scope?: ReadonlySet<number>): HeadsPayload['docs'];
  /** doc -> [heads digest, change count] of the documents in `scope` grouped buckets. */
  hashes(scope: ReadonlySet<number>): NonNullable<HeadsPayload['hashes']>;
  /** Documents held in these buckets of either bucketing. */
  members(scope: ReadonlySet<number>, grouped: boolean): string[];
  /** Documents changed: their buckets and the whole digest are recomputed on next use. */
  changed(docs: readonly string[]): void;
}

interface Bucketing {
  of: (doc: string) => number;
  text: (doc: string, heads: string[]) => string;
  /** Documents per bucket (arrays: a few dozen each, and a thousand sites hold thousands of documents each). */
  members: string[][];
  digests: string[];
  stale: Set<number>;
}

/** A {@link HeadsIndex} over `replica`. */
export function headsIndex(replica: DocReplica): HeadsIndex {
  let known = 0;
  let sorted: string[] | undefined;
  let whole: string | undefined;
  let grouped: string | undefined;
  const heads = (doc: string) => replica.heads(doc).toSorted();
  const make = (g: boolean): Bucketing => ({
    of: g ? groupOf : bucketOf,
    text: g ? (d, h) => `${d}=${headsHash(h)}` : (d, h) => `${d}=${h.join(',')}`,
    members: Array.from({ length: HEAD_BUCKETS }, () => []),
    digests: [],
    stale: new Set(Array.from({ length: HEAD_BUCKETS }, (_, i) => i)),
  });
  // The grouped bucketing also says which documents are known; the version 1 one is built when a peer needs it.
  const primary = make(true);
  let legacy: Bucketing | undefined;
  const all = () => (legacy ? [primary, legacy] : [primary]);
  const track = (doc: string) => {
    const i = primary.of(doc);
    const set = primary.members[i];
    if (!set || set.includes(doc)) return;
    known++;
    sorted = undefined;
    for (const b of all()) {
      const j = b.of(doc);
      b.members[j]?.push(doc);
      b.stale.add(j);
    }
  };
  /** Documents can appear without a change event (held before the engine started): catch up on the count. */
  const catchUp = () => {
    const docs = replica.docs();
    if (docs.length !== known) for (const d of docs) track(d);
  };
  const bucketing = (g: boolean): Bucketing => {
    if (g) return primary;
    if (!legacy) {
      const b = make(false);
      for (const set of primary.members) for (const d of set) b.members[b.of(d)]?.push(d);
      legacy = b;
    }
    return legacy;
  };
  const members = (scope: ReadonlySet<number>, g: boolean): string[] => {
    catchUp();
    const b = bucketing(g);
    return [...scope].flatMap((i) => b.members[i] ?? []);
  };

  const buckets = (g: boolean): string[] => {
    catchUp();
    const b = bucketing(g);
    for (const i of b.stale) {
      const parts: string[] = [];
      for (const d of b.members[i] ?? []) {
        const h = heads(d);
        if (h.length > 0) parts.push(b.text(d, h));
      }
      b.digests[i] = digest(parts.sort().join(';'));
    }
    b.stale.clear();
    return b.digests;
  };

  for (const d of replica.docs()) track(d);
  return {
    digest() {
      catchUp();
      if (whole === undefined) {
        sorted ??= primary.members.flat().sort();
        const parts: string[] = [];
        for (const d of sorted) {
          const h = heads(d);
          if (h.length > 0) parts.push(`${d}=${h.join(',')}`);
        }
        whole = digest(parts.join(';'));
      }
      return whole;
    },
    groupedDigest() {
      if (grouped === undefined) {
        grouped = `g2:${digest(buckets(true).join(','))}`;
      }
      return grouped;
    },
    buckets,
    heads(scope) {
      catchUp();
      const out: HeadsPayload['docs'] = {};
      const docs = scope ? members(scope, false) : (sorted ?? primary.members.flat());
      for (const doc of docs) {
        const h = heads(doc);
        if (h.length > 0) out[doc] = [h, replica.changeCount(doc)];
      }
      return out;
    },
    hashes(scope) {
      const out: NonNullable<HeadsPayload['hashes']> = {};
      for (const doc of members(scope, true)) {
        const h = heads(doc);
        if (h.length > 0) out[doc] = [headsHash(h), replica.changeCount(doc)];
      }
      return out;
    },
    members,
    changed(docs) {
      whole = undefined;
      grouped = undefined;
      for (const d of docs) {
        track(d);
        for (const b of all()) b.stale.add(b.of(d));
      }
    },
  };
}
