/**
 * Replicated-catalog benchmark (the federation issue): with 100k records in the Automerge-backed catalog on SQLite,
 * the local write rate (single-record batches awaited one by one, and 100-record batches), restart time and RSS of
 * a fresh process that reopens the catalog, bytes on disk, and a snapshot catch-up of a fresh peer over the memory
 * transport. Targets: >= 2,000 changes/s with 100k records, restart <= 3 s, < 500 MB RSS.
 *
 * `node bench/catalog.ts [records]` (default 100000). Prints figures; not a test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../edge-site/db/client.ts';
import { memoryPersistence } from '../federation/store/memory-persistence.ts';
import { createReplicatedCatalog } from '../federation/store/replicated-catalog.ts';
import { sqlitePersistence } from '../federation/store/sqlite-persistence.ts';
import { startCatalogSync } from '../federation/sync/catalog-sync.ts';
import { createMemoryNetwork } from '../federation/transports/memory.ts';
import type { CatalogWrite } from '../shared/ports/catalog-store.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import type { ResourceIndexEntry } from '../shared/schemas/catalog/index.ts';

const SITE = 'bench-site';
const entry = (i: number, k = 0): ResourceIndexEntry => ({
  id: `0190a0b0-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
  type: k % 2 ? 'port' : 'server',
  site_id: SITE,
  project_id: `project-${(i % 97).toString().padStart(4, '0')}${k ? `-${k}` : ''}`,
});
/** CPU seconds of this process (user + system): a figure that a busy shared machine inflates far less than wall time. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};

async function open(dir: string) {
  const sdb = await openDatabase(join(dir, 'site.db'));
  const persistence = await sqlitePersistence(sdb);
  const store = await createReplicatedCatalog({ siteId: SITE, persistence, clock: systemClock, log: silentLogger });
  return { sdb, store, persistence };
}

/** Child-process half: reopen the catalog from disk and report time and memory. */
async function reopen(dir: string): Promise<void> {
  const before = rss();
  const t0 = performance.now();
  const c0 = cpu();
  const { sdb, store, persistence } = await open(dir);
  const ms = performance.now() - t0;
  const cpuS = cpu() - c0;
  const count = store.list('resource_index').length;
  process.stdout.write(JSON.stringify({ ms, cpuS, count, rss: rss(), baseline: before }));
  await store.close();
  await persistence.close();
  sdb.close();
}

function reopenInChild(dir: string): { ms: number; cpuS: number; count: number; rss: number; baseline: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', import.meta.filename, '--reopen', dir], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { ms: number; cpuS: number; count: number; rss: number; baseline: number };
}

/** Runs the benchmark and prints its figures. */
export async function benchCatalog(records = 100_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-catalog-'));
  try {
    const { sdb, store, persistence } = await open(dir);
    let t0 = performance.now();
    for (let i = 0; i < records; i += 500) {
      const batch: CatalogWrite[] = [];
      for (let j = i; j < Math.min(records, i + 500); j++) {
        batch.push({ op: 'put', collection: 'resource_index', record: entry(j) });
      }
      await store.apply(batch);
    }
    const loadS = (performance.now() - t0) / 1000;
    console.log(
      `load ${records} records in batches of 500: ${loadS.toFixed(1)} s (${(records / loadS).toFixed(0)} records/s)`,
    );

    const singles = 5_000;
    t0 = performance.now();
    const c0 = cpu();
    for (let k = 1; k <= singles; k++) await store.put('resource_index', entry((k * 7919) % records, k));
    const singleRate = singles / ((performance.now() - t0) / 1000);
    const singleCpu = singles / (cpu() - c0);
    console.log(
      `single-record writes with ${records} records, awaited one by one: ${singleRate.toFixed(0)} changes/s, ${singleCpu.toFixed(0)} per CPU-second (target >= 2,000)`,
    );

    t0 = performance.now();
    const batches = 100;
    for (let b = 0; b < batches; b++) {
      const batch: CatalogWrite[] = [];
      for (let j = 0; j < 100; j++) {
        batch.push({ op: 'put', collection: 'resource_index', record: entry(((b * 100 + j) * 31) % records, b + 7) });
      }
      await store.apply(batch);
    }
    const batchRate = (batches * 100) / ((performance.now() - t0) / 1000);
    console.log(`100-record batches: ${batchRate.toFixed(0)} changes/s`);
    console.log(`RSS of the writing process: ${mib(rss())} MiB`);

    await store.flush();
    const crash = reopenInChild(dir);
    console.log(
      `restart as after a kill right after the writes (chunks, fresh process, ${crash.count} records): ${(crash.ms / 1000).toFixed(2)} s (${crash.cpuS.toFixed(2)} CPU-s; target <= 3 s), RSS ${mib(crash.rss)} MiB`,
    );
    // Idle compaction (every 5 s, documents idle for 5 s) turns the chunks into snapshots while the writer runs on.
    await new Promise((r) => setTimeout(r, 12_000));
    await store.flush();
    const idle = reopenInChild(dir);
    console.log(
      `restart as after a kill 12 s after the last write (idle compaction done): ${(idle.ms / 1000).toFixed(2)} s (${idle.cpuS.toFixed(2)} CPU-s), RSS ${mib(idle.rss)} MiB`,
    );
    const docs = store.replica.docs();
    const snapshots = new Map(docs.map((d) => [d, store.replica.snapshot(d) ?? new Uint8Array()]));
    const stored = await persistence.size();
    await store.close();
    await persistence.close();
    sdb.close();
    const onDisk = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    console.log(
      `documents: ${docs.length}; chunk bytes stored: ${mib(stored)} MiB; files on disk (db + wal): ${mib(onDisk)} MiB`,
    );

    const r = reopenInChild(dir);
    console.log(
      `restart after a clean stop (snapshots, fresh process, ${r.count} records): ${(r.ms / 1000).toFixed(2)} s (${r.cpuS.toFixed(2)} CPU-s; target <= 3 s)`,
    );
    console.log(`RSS after restart: ${mib(r.rss)} MiB (process baseline ${mib(r.baseline)} MiB; target < 500 MB)`);

    // Snapshot catch-up: a fresh peer receives every document whole from one site over the memory transport.
    const net = createMemoryNetwork();
    const src = await createReplicatedCatalog({
      siteId: SITE,
      persistence: memoryPersistence(),
      clock: systemClock,
      log: silentLogger,
    });
    for (const [doc, bytes] of snapshots) src.replica.mergeSnapshot(doc, bytes);
    const dst = await createReplicatedCatalog({
      siteId: 'fresh-peer',
      persistence: memoryPersistence(),
      clock: systemClock,
      log: silentLogger,
    });
    const a = startCatalogSync({
      replica: src.replica,
      transport: net.endpoint('src'),
      clock: systemClock,
      log: silentLogger,
      intervalMs: 60_000,
    });
    t0 = performance.now();
    const b = startCatalogSync({
      replica: dst.replica,
      transport: net.endpoint('dst'),
      clock: systemClock,
      log: silentLogger,
      intervalMs: 60_000,
    });
    await net.settle();
    const catchUp = performance.now() - t0;
    const st = net.stats();
    console.log(
      `catch-up of a fresh peer (${dst.list('resource_index').length} records): ${(catchUp / 1000).toFixed(2)} s, ${st.sent} messages, ${mib(st.bytes)} MiB`,
    );
    a.stop();
    b.stop();
    await src.close();
    await dst.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--reopen' && process.argv[3]) await reopen(process.argv[3]);
else if (import.meta.filename === process.argv[1]) await benchCatalog(Number(process.argv[2] ?? 100_000));
