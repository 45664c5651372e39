/**
 * An in-process federation for tests and simulation: N sites, each a replicated catalog (memory persistence) with
 * its sync engine, on one memory network, all on one manual clock. Nothing uses real timers.
 */
import { expect } from 'vitest';
import { type ManualClock, manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { CollectionName } from '../../shared/schemas/catalog/index.ts';
import { COLLECTIONS } from '../../shared/schemas/catalog/index.ts';
import { type MemoryPersistence, memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../store/replicated-catalog.ts';
import { type AuthenticatedTransport, authenticateTransport } from '../sync/authenticated-transport.ts';
import { type CatalogSync, type CatalogSyncOptions, startCatalogSync } from '../sync/catalog-sync.ts';
import { generateSiteKey, type SiteKey } from '../sync/site-key.ts';
import { catalogKeyLookup, publishSiteKey } from '../sync/site-keys.ts';
import { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from '../transports/memory.ts';

/** One site of a {@link TestFederation}. */
export interface TestSite {
  id: string;
  store: ReplicatedCatalog;
  sync: CatalogSync;
  persistence: MemoryPersistence;
  /** The signed view of the site's endpoint, when the federation was created with `auth`. */
  auth?: AuthenticatedTransport;
}

/** N sites on a memory network. */
export interface TestFederation {
  clock: ManualClock;
  net: MemoryNetwork;
  sites: Map<string, TestSite>;
  site(id: string): TestSite;
  /** Delivers every due message and runs anti-entropy ticks until no message is due. */
  settle(ticks?: number): Promise<void>;
  /** Stops a site (sync, endpoint, store) keeping its storage; `restart` brings it back from storage. */
  stop(id: string): Promise<void>;
  restart(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Options: network options plus the sync period. */
export interface TestFederationOptions {
  network?: Omit<MemoryNetworkOptions, 'clock'>;
  intervalMs?: number;
  /**
   * Signed site-to-site messages (federation/sync/authenticated-transport.ts), as federated sites use: each site's
   * key is published in its catalog and kept across restarts. Off by default.
   */
  auth?: { joinSecret?: string };
  /** Sync overlay and push options (federation/sync/overlay.ts); default: the engine's. */
  sync?: Pick<CatalogSyncOptions, 'overlay' | 'pushDelayMs' | 'quietTicks' | 'maxStatesPerPeer'>;
}

/** Starts a federation of sites named `ids`. */
export async function createTestFederation(
  ids: readonly string[],
  options: TestFederationOptions = {},
): Promise<TestFederation> {
  const clock = manualClock();
  const net = createMemoryNetwork({ ...options.network, clock });
  const sites = new Map<string, TestSite>();
  const interval = options.intervalMs ?? 1000;
  const keys = new Map<string, SiteKey>();

  const start = async (id: string, persistence: MemoryPersistence) => {
    const store = await createReplicatedCatalog({ siteId: id, persistence, clock, log: silentLogger });
    const endpoint = net.endpoint(id);
    let auth: AuthenticatedTransport | undefined;
    if (options.auth) {
      let key = keys.get(id);
      if (!key) {
        key = generateSiteKey();
        keys.set(id, key);
      }
      await publishSiteKey(store, id, key.publicKey, clock.now());
      const { joinSecret } = options.auth;
      auth = authenticateTransport({
        inner: endpoint,
        key,
        clock,
        log: silentLogger,
        knownKey: catalogKeyLookup(store),
        ...(joinSecret ? { joinSecret } : {}),
      });
    }
    const transport = auth ?? endpoint;
    const sync = startCatalogSync({
      replica: store.replica,
      transport,
      clock,
      log: silentLogger,
      intervalMs: interval,
      ...options.sync,
    });
    const site = { id, store, sync, persistence, transport, ...(auth ? { auth } : {}) };
    sites.set(id, site);
    return site;
  };
  const endpoints = new Map<string, { close(): Promise<void> }>();
  for (const id of ids) {
    const s = await start(id, memoryPersistence());
    endpoints.set(id, s.transport);
  }

  const fed: TestFederation = {
    clock,
    net,
    sites,
    site(id) {
      const s = sites.get(id);
      if (!s) throw new Error(`no site ${id}`);
      return s;
    },
    async settle(ticks = 3) {
      await net.settle();
      for (let i = 0; i < ticks; i++) {
        clock.advance(interval);
        await net.settle();
        for (const s of sites.values()) await s.store.flush();
        await net.settle();
      }
    },
    async stop(id) {
      const s = fed.site(id);
      s.sync.stop();
      await endpoints.get(id)?.close();
      await s.store.close();
    },
    async restart(id) {
      const s = await start(id, fed.site(id).persistence);
      endpoints.set(id, s.transport);
    },
    async close() {
      for (const id of sites.keys()) await fed.stop(id).catch(() => {});
    },
  };
  return fed;
}

/** Every collection's records at one site, sorted by id (replica comparison). */
export function snapshotOf(store: ReplicatedCatalog): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const c of COLLECTIONS as readonly CollectionName[]) {
    const list = [...store.list(c)].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (list.length > 0) out[c] = list;
  }
  return out;
}

/** Asserts that every site holds the same records and the same conflict ledger ids. */
export function expectConverged(fed: TestFederation): void {
  const [first, ...rest] = [...fed.sites.values()];
  if (!first) return;
  const want = snapshotOf(first.store);
  for (const s of rest) expect(snapshotOf(s.store), `records at ${s.id} vs ${first.id}`).toEqual(want);
}
