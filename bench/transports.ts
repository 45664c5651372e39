/**
 * Site-to-site transport benchmark: propagation latency of one catalog change (a user written at one site, until
 * every other site's replica has it) across 3 and 20 sites, over the memory network, libp2p (loopback TCP) and MQTT
 * (mosquitto when installed, and aedes in-process), with catalog sync pushing changes at once. Also the bytes the
 * transports carried per change (direct sync frames plus the periodic digest announcements). Messages are signed
 * and verified (authenticated-transport.ts) as between real sites.
 *
 * `node bench/transports.ts [rounds] [sites...]` (defaults: 30 rounds, 3 and 20 sites). Prints figures; not a test.
 */
import { memoryPersistence } from '../federation/store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../federation/store/replicated-catalog.ts';
import { authenticateTransport } from '../federation/sync/authenticated-transport.ts';
import { startCatalogSync } from '../federation/sync/catalog-sync.ts';
import { generateSiteKey, siteKeyFromProtobuf } from '../federation/sync/site-key.ts';
import { catalogKeyLookup, publishSiteKey } from '../federation/sync/site-keys.ts';
import { createLibp2pTransport, type Libp2pTransport } from '../federation/transports/libp2p/libp2p-transport.ts';
import { createMemoryNetwork } from '../federation/transports/memory.ts';
import { createMqttTransport } from '../federation/transports/mqtt/mqtt-transport.ts';
import { startAedes } from '../federation/transports/testing/aedes.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import type { Transport } from '../shared/ports/transport.ts';
import { hasMosquitto, startMosquitto } from '../shared/testing/mosquitto.ts';
import { fmt, percentile } from './lib.ts';

/** N connected endpoints, a byte counter, and how to tear them down. */
interface Net {
  transports: Transport[];
  bytes(): number;
  close(): Promise<void>;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `site-${String(i).padStart(2, '0')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}
const sumBytes = (ts: Transport[]) =>
  ts.reduce((n, t) => n + ((t as Partial<Libp2pTransport>).stats?.().bytesSent ?? 0), 0);

async function memoryNet(n: number): Promise<Net> {
  const net = createMemoryNetwork();
  const transports = ids(n).map((id) => net.endpoint(id));
  return {
    transports,
    bytes: () => net.stats().bytes,
    close: async () => {
      for (const t of transports) await t.close();
    },
  };
}

async function libp2pNet(n: number): Promise<Net> {
  const [first, ...rest] = ids(n);
  const log = silentLogger;
  const head = await createLibp2pTransport({ siteId: first ?? 'site-00', clock: systemClock, log });
  const boot = head.multiaddrs()[0] ?? '';
  const others = await Promise.all(
    rest.map((siteId) => createLibp2pTransport({ siteId, clock: systemClock, log, bootstrap: [boot] })),
  );
  const transports = [head, ...others];
  await until(() => transports.every((t) => t.peers().length === n - 1), `libp2p mesh of ${n}`);
  return {
    transports,
    bytes: () => sumBytes(transports),
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

async function mqttNet(n: number, url: string, stop: () => Promise<void>): Promise<Net> {
  const prefix = `brume/bench${n}/fed/v1`;
  const transports = await Promise.all(
    ids(n).map((siteId) => createMqttTransport({ siteId, url, clock: systemClock, log: silentLogger, prefix })),
  );
  await until(() => transports.every((t) => t.peers().length === n - 1), `mqtt presence of ${n}`);
  return {
    transports,
    bytes: () => sumBytes(transports),
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
      await stop();
    },
  };
}

/** Writes `rounds` users (round-robin writers) and measures the time until every other replica has each one. */
async function measure(
  net: Net,
  rounds: number,
): Promise<{ p50: number; p99: number; bytesPerChange: number; cpuMsPerChange: number }> {
  const stores: ReplicatedCatalog[] = [];
  const syncs: { stop(): void }[] = [];
  for (const transport of net.transports) {
    const store = await createReplicatedCatalog({
      siteId: transport.self,
      persistence: memoryPersistence(),
      clock: systemClock,
      log: silentLogger,
    });
    stores.push(store);
    // Signed messages, as federated sites send them (the libp2p identity is the site key).
    const own = (transport as Partial<Libp2pTransport>).identityKey;
    const key = own ? siteKeyFromProtobuf(own.call(transport)) : generateSiteKey();
    await publishSiteKey(store, transport.self, key.publicKey, systemClock.now());
    const auth = authenticateTransport({
      inner: transport,
      key,
      clock: systemClock,
      log: silentLogger,
      knownKey: catalogKeyLookup(store),
    });
    syncs.push(startCatalogSync({ replica: store.replica, transport: auth, clock: systemClock, log: silentLogger }));
  }
  const n = stores.length;
  const write = async (i: number) => {
    const id = `0190a0b0-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
    const t0 = performance.now();
    await stores[i % n]?.put('users', { id, name: `user-${i}`, domain_id: 'default', enabled: true });
    await until(() => stores.every((s) => s.get('users', id) !== undefined), `user ${i} everywhere`);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < Math.min(n, 5); i++) await write(1_000_000 + i); // warm-up: documents created everywhere
    const bytes0 = net.bytes();
    const cpu0 = process.cpuUsage();
    const latencies: number[] = [];
    for (let i = 0; i < rounds; i++) latencies.push(await write(i));
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      bytesPerChange: (net.bytes() - bytes0) / rounds,
      cpuMsPerChange: (() => {
        const u = process.cpuUsage(cpu0);
        return (u.user + u.system) / 1000 / rounds;
      })(),
    };
  } finally {
    for (const s of syncs) s.stop();
    for (const s of stores) await s.close();
  }
}

/** Runs the benchmark and prints its figures. */
export async function benchTransports(rounds = 30, sizes: readonly number[] = [3, 20]): Promise<void> {
  const kinds: [string, (n: number) => Promise<Net>][] = [
    ['memory', memoryNet],
    ['libp2p', libp2pNet],
    [
      'mqtt (aedes)',
      async (n) => {
        const b = await startAedes();
        return mqttNet(n, b.url, () => b.stop());
      },
    ],
  ];
  if (hasMosquitto()) {
    kinds.push([
      'mqtt (mosquitto)',
      async (n) => {
        const b = await startMosquitto();
        return mqttNet(n, b.url, () => b.stop());
      },
    ]);
  }
  console.log(`catalog change propagation until every site has it (${rounds} changes, round-robin writers)`);
  console.log('  (every site runs in this one process: CPU per change is the whole federation on one event loop)');
  for (const n of sizes) {
    for (const [name, make] of kinds) {
      const t0 = performance.now();
      const net = await make(n);
      const setup = performance.now() - t0;
      try {
        const r = await measure(net, rounds);
        console.log(
          `  ${name.padEnd(17)} ${String(n).padStart(2)} sites: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ` +
            `${fmt(r.bytesPerChange / 1024)} KiB sent per change, CPU ${fmt(r.cpuMsPerChange)} ms per change ` +
            `(setup ${fmt(setup, 0)} ms)`,
        );
      } catch (err) {
        console.log(`  ${name.padEnd(17)} ${String(n).padStart(2)} sites: FAILED ${String(err)}`);
      } finally {
        await net.close();
      }
    }
  }
}

if (import.meta.filename === process.argv[1]) {
  const sizes = process.argv.slice(3).map(Number);
  await benchTransports(Number(process.argv[2] ?? 30), sizes.length > 0 ? sizes : undefined);
}
