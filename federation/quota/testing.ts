/**
 * N sites with a replicated catalog, catalog sync and a quota escrow each, on one memory network and one manual
 * clock; consumption is a counter per site (tests, property tests, bench).
 */

import type { EscrowVerdict } from '../../edge-site/services.ts';
import { type ManualClock, manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../store/replicated-catalog.ts';
import { type CatalogSync, startCatalogSync } from '../sync/catalog-sync.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../transports/memory.ts';
import { type QuotaEscrowService, startQuotaEscrow } from './service.ts';

/** One site: its catalog, sync, escrow and what it consumes (`project:resource` -> amount). */
export interface EscrowSite {
  id: string;
  store: ReplicatedCatalog;
  sync: CatalogSync;
  escrow: QuotaEscrowService;
  used: Map<string, number>;
  /** Reserves `want` under `limit` and, when granted, consumes it. */
  take(projectId: string, resource: string, want: number, limit?: number): Promise<EscrowVerdict>;
  /** Releases `n` (a deleted resource). */
  release(projectId: string, resource: string, n: number): void;
}

/** The federation of {@link createEscrowFederation}. */
export interface EscrowFederation {
  clock: ManualClock;
  net: MemoryNetwork;
  site(id: string): EscrowSite;
  sites(): EscrowSite[];
  /** Delivers messages and runs `ticks` sync periods. */
  settle(ticks?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts sites `ids` (each announces its `sites` record so splits know every member), then lets them sync. */
export async function createEscrowFederation(ids: readonly string[]): Promise<EscrowFederation> {
  const clock = manualClock();
  const net = createMemoryNetwork({ clock });
  const sites = new Map<string, EscrowSite>();
  for (const id of ids) {
    const store = await createReplicatedCatalog({
      siteId: id,
      persistence: memoryPersistence(),
      clock,
      log: silentLogger,
    });
    const transport = net.endpoint(id);
    const sync = startCatalogSync({ replica: store.replica, transport, clock, log: silentLogger, intervalMs: 1000 });
    const used = new Map<string, number>();
    const escrow = startQuotaEscrow({
      siteId: id,
      catalog: store,
      transport,
      clock,
      log: silentLogger,
      usage: async (p, r) => used.get(`${p}:${r}`) ?? 0,
    });
    await store.put('sites', { id, name: id, region: id, url: `http://${id}`, created_at: 0, last_seen: 0 });
    const site: EscrowSite = {
      id,
      store,
      sync,
      escrow,
      used,
      async take(p, r, want, limit = 10) {
        const have = used.get(`${p}:${r}`) ?? 0;
        const v = await escrow.reserve(p, r, have, want, limit);
        if (v.ok) used.set(`${p}:${r}`, (used.get(`${p}:${r}`) ?? 0) + want);
        return v;
      },
      release(p, r, n) {
        used.set(`${p}:${r}`, Math.max(0, (used.get(`${p}:${r}`) ?? 0) - n));
      },
    };
    sites.set(id, site);
  }
  const fed: EscrowFederation = {
    clock,
    net,
    site(id) {
      const s = sites.get(id);
      if (!s) throw new Error(`no site ${id}`);
      return s;
    },
    sites: () => [...sites.values()],
    async settle(ticks = 3) {
      await net.settle();
      for (let i = 0; i < ticks; i++) {
        clock.advance(1000);
        await net.settle();
        for (const s of sites.values()) await s.store.flush();
        await net.settle();
      }
    },
    async close() {
      for (const s of sites.values()) {
        s.escrow.stop();
        s.sync.stop();
        await s.store.close();
      }
    },
  };
  await fed.settle();
  return fed;
}

/** Total consumption of a resource over every site. */
export function totalUsed(fed: EscrowFederation, projectId: string, resource: string): number {
  return fed.sites().reduce((n, s) => n + (s.used.get(`${projectId}:${resource}`) ?? 0), 0);
}
