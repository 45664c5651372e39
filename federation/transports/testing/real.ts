/**
 * Helpers for tests of network transports (libp2p, MQTT) in one test process: polling until a condition holds
 * (conditions, not sleeps, decide; the timeout only bounds a failure), a contract fixture over real endpoints, and
 * catalog sync end-to-end over them.
 */
import { expect } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import { silentLogger } from '../../../shared/ports/logger.ts';
import type { Transport } from '../../../shared/ports/transport.ts';
import type { User } from '../../../shared/schemas/catalog/index.ts';
import type { TransportFixture } from '../../../shared/testing/run-transport-contract.ts';
import { memoryPersistence } from '../../store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../../store/replicated-catalog.ts';
import { startCatalogSync } from '../../sync/catalog-sync.ts';
import { snapshotOf } from '../../testing/federation.ts';
import type { StatsTransport } from '../stats.ts';

/** Polls `condition` every 10 ms until it holds; throws `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `n` bytes of a repeating, non-trivial pattern. */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Byte equality without the cost of a deep equality on megabytes. */
export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Wraps endpoints as a contract fixture. `settle` waits until every open endpoint lists every other open one it can
 * reach as a peer (and `ready` holds), then until traffic is quiet: total deliveries unchanged over a few polls.
 */
export function realFixture(
  endpoints: StatsTransport[],
  ready: (t: StatsTransport, others: string[]) => boolean = () => true,
  extraClose: () => Promise<void> = async () => {},
  reachable: (a: string, b: string) => boolean = () => true,
): TransportFixture {
  const closed = new Set<string>();
  const transports: Transport[] = endpoints.map((t) => ({
    ...t,
    close: async () => {
      closed.add(t.self);
      await t.close();
    },
  }));
  const open = () => endpoints.filter((t) => !closed.has(t.self));
  const received = () => endpoints.reduce((n, t) => n + t.stats().received, 0);
  return {
    transports,
    async settle() {
      await waitFor(
        () =>
          open().every((t) => {
            const others = open()
              .map((o) => o.self)
              .filter((s) => s !== t.self && reachable(t.self, s));
            return sameSet(t.peers(), others) && ready(t, others);
          }),
        'every endpoint to see the others',
      );
      let last = -1;
      let quiet = 0;
      while (quiet < 5) {
        await new Promise((r) => setTimeout(r, 20));
        const now = received();
        quiet = now === last ? quiet + 1 : 0;
        last = now;
      }
    },
    async close() {
      for (const t of transports) await t.close();
      await extraClose();
    },
  };
}

const user = (id: string, name: string): User => ({ id, name, domain_id: 'default', enabled: true });

/**
 * Runs a replicated catalog (memory persistence) and catalog sync on each endpoint, writes at every site and waits
 * until all replicas hold the same records. Stops the syncs and stores (not the endpoints).
 */
export async function expectCatalogsConverge(endpoints: Transport[]): Promise<void> {
  const sites: { store: ReplicatedCatalog; stop(): void }[] = [];
  try {
    for (const transport of endpoints) {
      const store = await createReplicatedCatalog({
        siteId: transport.self,
        persistence: memoryPersistence(),
        clock: systemClock,
        log: silentLogger,
      });
      const sync = startCatalogSync({
        replica: store.replica,
        transport,
        clock: systemClock,
        log: silentLogger,
        intervalMs: 200,
      });
      sites.push({ store, stop: () => sync.stop() });
    }
    for (const [i, s] of sites.entries()) {
      for (let k = 0; k < 5; k++) await s.store.put('users', user(`u-${i}-${k}`, `user-${i}-${k}`));
    }
    const want = endpoints.length * 5;
    await waitFor(() => sites.every((s) => s.store.list('users').length === want), 'every site to hold every user');
    await sites[0]?.store.delete('users', 'u-0-0');
    await waitFor(() => sites.every((s) => s.store.get('users', 'u-0-0') === undefined), 'the delete to replicate');
    const [first, ...rest] = sites;
    if (!first) return;
    for (const s of rest) expect(snapshotOf(s.store)).toEqual(snapshotOf(first.store));
  } finally {
    for (const s of sites) {
      s.stop();
      await s.store.close();
    }
  }
}
