/**
 * Resource index and quota escrow figures (federation/index, federation/quota), in process:
 * - index: a 1,000-server fake boot at one site (rows in its SQLite file, the catalog persisted there too; then
 *   building -> active): the fingerprint and the scan per flush window, the flush (diff + one catalog batch) for the
 *   creates and for the transitions, and the Automerge changes it costs vs 1,000 single-record writes;
 * - escrow: latency of a quota reservation within the site's share, of a project's first one (writes the split),
 *   and of one that must ask a peer for share (memory transport: the protocol's CPU cost, no network latency).
 *
 * `node bench/quota.ts` prints figures; not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../edge-site/db/client.ts';
import { migrateDatabase } from '../edge-site/db/migrate.ts';
import { computeServers } from '../edge-site/db/schema/compute.ts';
import { manualClock } from '../edge-site/testing/deps.ts';
import { INDEX_TYPES, resourcesFingerprint, scanResources } from '../federation/index/sources.ts';
import { startIndexWriter } from '../federation/index/writer.ts';
import { createEscrowFederation } from '../federation/quota/testing.ts';
import { createReplicatedCatalog } from '../federation/store/replicated-catalog.ts';
import { sqlitePersistence } from '../federation/store/sqlite-persistence.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import { fmt, percentile } from './lib.ts';

const N = 1000;

function serverRow(i: number, t: number) {
  return {
    id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    projectId: 'p1',
    userId: 'u1',
    name: `vm-${i}`,
    vmState: 'building',
    taskState: 'scheduling',
    powerState: 0,
    flavor: { id: 'f', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, extra_specs: {} },
    metadata: {},
    tags: [],
    securityGroups: ['default'],
    networks: 'none',
    configDrive: false,
    diskConfig: 'MANUAL',
    reservationId: 'r-1',
    launchIndex: 0,
    locked: false,
    accessIpv4: '',
    accessIpv6: '',
    triedHosts: [],
    commandSeq: 0,
    createdAt: t,
    updatedAt: t,
  };
}

async function benchIndex(): Promise<void> {
  const clock = manualClock();
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-quota-'));
  const db = await openDatabase(join(dir, 'site.db'));
  await migrateDatabase(db);
  const store = await createReplicatedCatalog({
    siteId: 's1',
    persistence: await sqlitePersistence(db),
    clock,
    log: silentLogger,
  });
  const changes = () => store.replica.docs().reduce((n, d) => n + store.replica.changeCount(d), 0);
  const writer = startIndexWriter({
    siteId: 's1',
    catalog: store,
    scan: () => scanResources(db.client),
    types: INDEX_TYPES,
    clock,
    log: silentLogger,
    flushMs: 3_600_000,
  });
  await writer.flush();
  for (let i = 0; i < N; i += 100) {
    await db.db.insert(computeServers).values(Array.from({ length: 100 }, (_, j) => serverRow(i + j, clock.now())));
  }
  let t = performance.now();
  await scanResources(db.client);
  const scanMs = performance.now() - t;
  t = performance.now();
  await resourcesFingerprint(db.client);
  const printMs = performance.now() - t;
  const c0 = changes();
  t = performance.now();
  await writer.flush();
  const createMs = performance.now() - t;
  const c1 = changes();
  clock.advance(1000);
  await db.client.execute(`UPDATE compute_servers SET vm_state = 'active', updated_at = ${clock.now()}`);
  t = performance.now();
  await writer.flush();
  const activeMs = performance.now() - t;
  const c2 = changes();
  await writer.stop();
  console.log(
    `index: per flush window with ${N} servers: fingerprint ${fmt(printMs, 2)} ms, full scan (when it moved) ${fmt(scanMs)} ms`,
  );
  console.log(
    `index: ${N}-server boot flushed in ${fmt(createMs)} ms (${c1 - c0} Automerge changes), ${N} transitions to active in ${fmt(activeMs)} ms (${c2 - c1} changes): ${fmt((2 * N) / ((createMs + activeMs) / 1000), 0)} entry writes/s`,
  );
  const db2 = await openDatabase(join(dir, 'single.db'));
  const single = await createReplicatedCatalog({
    siteId: 's2',
    persistence: await sqlitePersistence(db2),
    clock,
    log: silentLogger,
  });
  t = performance.now();
  for (let i = 0; i < N; i++) {
    await single.put('resource_index', {
      id: `r${i}`,
      type: 'server',
      site_id: 's2',
      project_id: 'p1',
      status: 'building',
    });
  }
  const singleMs = performance.now() - t;
  console.log(`index: baseline, ${N} single-entry writes: ${fmt(singleMs)} ms (${N} Automerge changes)`);
  await single.close();
  db2.close();
  await store.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

async function benchEscrow(): Promise<void> {
  const fed = await createEscrowFederation(['a', 'b', 'c']);
  try {
    const a = fed.site('a');
    const c = fed.site('c');
    const R = 'compute.instances';
    await a.take('steady', R, 1, 1_000_000);
    const local: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await a.take('steady', R, 1, 1_000_000);
      local.push(performance.now() - t);
    }
    // Limit 2 over a, b, c: shares 1/1/0. a's first reservation is within its share; c's must ask a peer.
    const first: number[] = [];
    const asked: number[] = [];
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      let t = performance.now();
      await a.take(`p${i}`, R, 1, 2);
      first.push(performance.now() - t);
      t = performance.now();
      if (!(await c.take(`p${i}`, R, 1, 2)).ok) refused++;
      asked.push(performance.now() - t);
    }
    const line = (what: string, xs: number[]) =>
      console.log(`escrow: ${what}: p50 ${fmt(percentile(xs, 50), 3)} ms, p99 ${fmt(percentile(xs, 99), 3)} ms`);
    line('reservation within the site share', local);
    line("a project's first reservation (writes the split)", first);
    line(`first reservation at a site without share (asks a peer; ${refused} refused)`, asked);
  } finally {
    await fed.close();
  }
}

/** The group run by bench/run.ts. */
export async function benchQuota(): Promise<void> {
  await benchIndex();
  await benchEscrow();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchQuota();
