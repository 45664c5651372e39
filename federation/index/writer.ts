/**
 * Keeps this site's entries of the global resource index (`resource_index`, owner-sharded: a site writes only its
 * own) equal to the resources it holds. Every `flushMs` of the clock it scans its resources, diffs them with its
 * entries and commits the differences as ONE catalog batch: a boot storm of 1,000 servers costs one batch per flush
 * window and state change, not one Automerge change per server and transition.
 */
import type { CatalogStore, CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { ResourceIndexEntry } from '../../shared/schemas/catalog/index.ts';
import type { IndexedResource } from './sources.ts';

/** Options of {@link startIndexWriter}. */
export interface IndexWriterOptions {
  siteId: string;
  catalog: CatalogStore;
  /** Every live resource this site owns (e.g. {@link scanResources} over the site database). */
  scan: () => Promise<IndexedResource[]>;
  /** Types `scan` covers: this site's entries of other types are left alone. */
  types: readonly string[];
  clock: Clock;
  log: Logger;
  /** Flush window (default 1000 ms of the clock). */
  flushMs?: number;
  /** A cheap summary of the resources (e.g. {@link resourcesFingerprint}): a window where it is unchanged skips the scan. */
  fingerprint?: () => Promise<string>;
  /** Windows after which a scan runs even with an unchanged fingerprint (default 30: a change it missed heals). */
  fullEvery?: number;
}

/** Counters of the writer (bench, status). */
export interface IndexWriterStats {
  flushes: number;
  /** Windows skipped because the fingerprint had not changed. */
  skipped: number;
  batches: number;
  puts: number;
  deletes: number;
}

/** A running index writer. */
export interface IndexWriter {
  /** Scans and writes now; resolves once the batch is durable (joins a flush already running). */
  flush(): Promise<void>;
  stats(): IndexWriterStats;
  /** Stops the ticks; resolves once a flush in progress has ended. */
  stop(): Promise<void>;
}

/** The entry a resource of `siteId` should have. */
export function entryOf(siteId: string, r: IndexedResource): ResourceIndexEntry {
  return {
    id: r.id,
    type: r.type,
    site_id: siteId,
    project_id: r.project_id,
    name: r.name,
    status: r.status,
    updated_at: r.updated_at,
  };
}

function same(a: ResourceIndexEntry, b: ResourceIndexEntry): boolean {
  return (
    a.type === b.type &&
    a.project_id === b.project_id &&
    (a.name ?? null) === b.name &&
    (a.status ?? null) === b.status &&
    (a.updated_at ?? null) === b.updated_at
  );
}

/** The writes that make `current` (this site's entries) equal to `resources`. Pure. */
export function indexDiff(
  siteId: string,
  types: readonly string[],
  current: readonly ResourceIndexEntry[],
  resources: readonly IndexedResource[],
): CatalogWrite[] {
  const mine = new Map<string, ResourceIndexEntry>();
  for (const e of current) if (e.site_id === siteId && types.includes(e.type)) mine.set(e.id, e);
  const writes: CatalogWrite[] = [];
  for (const r of resources) {
    const want = entryOf(siteId, r);
    const have = mine.get(r.id);
    mine.delete(r.id);
    if (!have || !same(have, want)) writes.push({ op: 'put', collection: 'resource_index', record: want });
  }
  for (const id of mine.keys()) writes.push({ op: 'delete', collection: 'resource_index', id });
  return writes;
}

/** Starts the periodic index flush (an immediate first one included). */
export function startIndexWriter(o: IndexWriterOptions): IndexWriter {
  const stats: IndexWriterStats = { flushes: 0, skipped: 0, batches: 0, puts: 0, deletes: 0 };
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let lastPrint: string | undefined;
  let sinceFull = 0;

  const once = async () => {
    const resources = await o.scan();
    const writes = indexDiff(o.siteId, o.types, o.catalog.list('resource_index'), resources);
    stats.flushes++;
    if (writes.length === 0 || stopped) return;
    await o.catalog.apply(writes);
    stats.batches++;
    for (const w of writes) {
      if (w.op === 'put') stats.puts++;
      else stats.deletes++;
    }
  };
  const flush = (): Promise<void> => {
    if (running) {
      // A flush asked for while one runs must see changes made after that one's scan.
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await once();
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  /** A window: the scan only when the fingerprint moved (or every `fullEvery` windows). */
  const windowFlush = async () => {
    if (o.fingerprint) {
      const print = await o.fingerprint();
      if (print === lastPrint && ++sinceFull < (o.fullEvery ?? 30)) {
        stats.skipped++;
        return;
      }
      lastPrint = print;
      sinceFull = 0;
    }
    await flush();
  };
  const tick = () => {
    if (stopped || running) return;
    windowFlush().catch((err: unknown) => o.log.warn({ err }, 'resource index flush failed'));
  };
  const offTick = o.clock.every(o.flushMs ?? 1000, tick);
  tick();
  return {
    flush,
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      offTick();
      await running?.catch(() => {});
    },
  };
}
