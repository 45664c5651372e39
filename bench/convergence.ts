/**
 * Convergence after heal (the federation issue): two sites sharing a catalog of `base` records are partitioned;
 * each then writes half of N single-record changes (N = 1k, 10k; one Automerge change each, records new and
 * updated); the partition heals and the clock runs until both replicas hold the same heads and every record.
 * Over the memory network and libp2p (loopback TCP), with signed messages (authenticated-transport) as real sites
 * use. Prints the time from heal to convergence (libp2p: also the reconnect part), messages and bytes exchanged.
 *
 * `node bench/convergence.ts [changes...]` (default 1000 10000). Prints figures; not a test.
 */
import { memoryPersistence } from '../federation/store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../federation/store/replicated-catalog.ts';
import { type AuthenticatedTransport, authenticateTransport } from '../federation/sync/authenticated-transport.ts';
import { type CatalogSync, startCatalogSync } from '../federation/sync/catalog-sync.ts';
import { generateSiteKey, siteKeyFromProtobuf } from '../federation/sync/site-key.ts';
import { catalogKeyLookup, publishSiteKey } from '../federation/sync/site-keys.ts';
import { createLibp2pTransport, type Libp2pTransport } from '../federation/transports/libp2p/libp2p-transport.ts';
import { createMemoryNetwork } from '../federation/transports/memory.ts';
import type { CatalogWrite } from '../shared/ports/catalog-store.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import type { Transport } from '../shared/ports/transport.ts';
import type { User } from '../shared/schemas/catalog/index.ts';

const BASE = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}
const mib = (n: number) => (n / 1024 / 1024).toFixed(2);

/** A user record (users are spread over 64 documents, as a real catalog's records are). */
const record = (site: string, i: number, v = 0): User => {
  const id = `0190a0b0-0000-7000-8${site === 'a' ? '0' : '1'}00-${i.toString(16).padStart(12, '0')}`;
  return { id, name: `u-${id}`, domain_id: 'default', enabled: true, description: `v${v}` };
};

interface Side {
  id: string;
  store: ReplicatedCatalog;
  auth: AuthenticatedTransport;
  sync?: CatalogSync;
}

/** The network under test: endpoints for a and b, partition/heal, and bytes/messages counted so far. */
interface Net {
  a: Transport;
  b: Transport;
  partition(): Promise<void>;
  heal(): Promise<void>;
  traffic(): { messages: number; bytes: number };
  close(): Promise<void>;
}

async function memoryNet(): Promise<Net> {
  const net = createMemoryNetwork();
  const a = net.endpoint('a');
  const b = net.endpoint('b');
  return {
    a,
    b,
    partition: async () => net.partition([['a'], ['b']]),
    heal: async () => net.heal(),
    traffic: () => ({ messages: net.stats().sent, bytes: net.stats().bytes }),
    close: async () => {
      await a.close();
      await b.close();
    },
  };
}

async function libp2pNet(): Promise<Net> {
  const opts = { clock: systemClock, log: silentLogger, backoff: { minMs: 20, maxMs: 500 } };
  const a = await createLibp2pTransport({ siteId: 'a', ...opts });
  const b = await createLibp2pTransport({ siteId: 'b', ...opts, bootstrap: [a.multiaddrs()[0] ?? ''] });
  await until(() => a.peers().includes('b') && b.peers().includes('a'), 'libp2p pair');
  const ts: Libp2pTransport[] = [a, b];
  return {
    a,
    b,
    partition: async () => {
      await a.setBlocked(['b']);
      await b.setBlocked(['a']);
      await until(() => a.peers().length === 0 && b.peers().length === 0, 'partitioned');
    },
    heal: async () => {
      await a.setBlocked([]);
      await b.setBlocked([]);
    },
    traffic: () =>
      ts.reduce(
        (t, x) => {
          const s = x.stats();
          return { messages: t.messages + s.sent, bytes: t.bytes + s.bytesSent };
        },
        { messages: 0, bytes: 0 },
      ),
    close: async () => {
      await Promise.all(ts.map((t) => t.close()));
    },
  };
}

async function side(id: string, inner: Transport): Promise<Side> {
  const store = await createReplicatedCatalog({
    siteId: id,
    persistence: memoryPersistence(),
    clock: systemClock,
    log: silentLogger,
  });
  // The libp2p identity is the site key (as createFederatedSite does): the transport binds peer id to site id.
  const own = (inner as Partial<Libp2pTransport>).identityKey;
  const key = own ? siteKeyFromProtobuf(own.call(inner)) : generateSiteKey();
  await publishSiteKey(store, id, key.publicKey, systemClock.now());
  const auth = authenticateTransport({
    inner,
    key,
    clock: systemClock,
    log: silentLogger,
    knownKey: catalogKeyLookup(store),
  });
  return { id, store, auth };
}

/** Same heads everywhere (cheap digest first), then every record present. */
const converged = (x: Side, y: Side, want: number) =>
  x.sync?.status().digest === y.sync?.status().digest &&
  x.store.list('users').length === want &&
  y.store.list('users').length === want;

async function run(kind: string, makeNet: () => Promise<Net>, changes: number): Promise<void> {
  const net = await makeNet();
  const a = await side('a', net.a);
  const b = await side('b', net.b);
  try {
    // Shared baseline: BASE records written at a in batches, synced to b.
    for (let i = 0; i < BASE; i += 500) {
      const batch: CatalogWrite[] = [];
      for (let j = i; j < i + 500; j++) batch.push({ op: 'put', collection: 'users', record: record('a', j) });
      await a.store.apply(batch);
    }
    for (const s of [a, b]) {
      s.sync = startCatalogSync({ replica: s.store.replica, transport: s.auth, clock: systemClock, log: silentLogger });
    }
    await until(() => converged(a, b, BASE), 'baseline');
    await net.partition();
    // Diverge: each side writes half the changes, one Automerge change each (a third updates of shared records).
    const half = changes / 2;
    for (const s of [a, b]) {
      for (let k = 0; k < half; k++) {
        const i = k % 3 === 0 ? k : BASE + k;
        await s.store.put('users', record(k % 3 === 0 ? 'a' : s.id, i, k % 3 === 0 ? (s.id === 'a' ? 1 : 2) : 0));
      }
      await s.store.flush();
    }
    const want = BASE + 2 * (half - Math.ceil(half / 3));
    const before = net.traffic();
    const t0 = performance.now();
    await net.heal();
    await until(() => a.auth.peers().includes('b') && b.auth.peers().includes('a'), 'reconnect');
    const tUp = performance.now();
    await until(() => converged(a, b, want), `convergence after ${changes} changes`);
    const t1 = performance.now();
    const after = net.traffic();
    const up = kind === 'memory' ? '' : ` (reconnect ${((tUp - t0) / 1000).toFixed(2)} s)`;
    console.log(
      `${kind.padEnd(6)} ${String(changes).padStart(6)} diverged changes: converged in ${((t1 - t0) / 1000).toFixed(2)} s${up}, ` +
        `${after.messages - before.messages} messages, ${mib(after.bytes - before.bytes)} MiB exchanged ` +
        `(${((after.bytes - before.bytes) / changes).toFixed(0)} B/change)`,
    );
  } finally {
    for (const s of [a, b]) {
      s.sync?.stop();
      await s.store.close();
    }
    await net.close();
  }
}

/** Runs the benchmark and prints its figures. */
export async function benchConvergence(
  changes: readonly number[] = [1000, 10_000],
  kinds: readonly string[] = ['memory', 'libp2p'],
): Promise<void> {
  console.log(`two sites sharing ${BASE} users, partitioned, each writing half of the changes, then healed:`);
  const nets: Record<string, () => Promise<Net>> = { memory: memoryNet, libp2p: libp2pNet };
  for (const n of changes) {
    for (const k of kinds) {
      const make = nets[k];
      if (make) await run(k, make, n);
    }
  }
}

if (import.meta.filename === process.argv[1]) {
  const args = process.argv.slice(2);
  const counts = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const kinds = args.filter((a) => !/^\d+$/.test(a));
  await benchConvergence(counts.length > 0 ? counts : undefined, kinds.length > 0 ? kinds : undefined);
}
