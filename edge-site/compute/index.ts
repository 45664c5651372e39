/** The compute module (Nova v2.1 for one edge site): routes, the server lifecycle engine and reconciliation. */

import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import { computeApp } from '../api/compute/index.ts';
import type { SiteDeps, SiteModule } from '../services.ts';
import type { ComputeContext } from './context.ts';
import { interfaceTags } from './metadata-device-tags.ts';
import { createQuotas } from './quotas.ts';
import { createServerEngine } from './servers/engine.ts';
import { createReconciler } from './servers/reconcile.ts';
import { createServerStore } from './servers/store.ts';
import type { ComputeServices } from './services.ts';

export { seedDefaultFlavors } from './flavors.ts';
export type { ComputeServices } from './services.ts';

/** The compute module plus what tests need to observe it. */
export interface ComputeModule extends SiteModule {
  /** Resolves when every background build/action/delete/reconciliation has finished. */
  settled(): Promise<void>;
  /** A live server's spec as its spawn gets it, without image credentials (the metadata service); else undefined. */
  instanceSpec(id: string): Promise<InstanceSpec | undefined>;
}

/** Builds the compute module. */
export async function createCompute(deps: SiteDeps, services: ComputeServices): Promise<ComputeModule> {
  const store = createServerStore(deps.db);
  const engine = createServerEngine(deps, services, store);
  const quotas = createQuotas(deps.db, deps.catalog, () => deps.quotaEscrow);
  const reconciler = createReconciler(deps, services, store, engine);
  let lock: Promise<unknown> = Promise.resolve();
  const ctx: ComputeContext = {
    deps,
    services,
    store,
    engine,
    quotas,
    createLock<T>(fn: () => Promise<T>): Promise<T> {
      const run = lock.then(fn, fn);
      lock = run.catch(() => {});
      return run;
    },
  };
  const log = deps.log.child({ module: 'compute' });
  const byState = deps.metrics.gauge('brume_servers', 'Servers (not deleted) by vm_state.');
  deps.metrics.onScrape(async () => {
    const counts = new Map<string, number>();
    for (const r of await store.all()) counts.set(r.vmState, (counts.get(r.vmState) ?? 0) + 1);
    for (const state of ['building', 'active', 'stopped', 'paused', 'suspended', 'error', ...counts.keys()]) {
      byState.set({ vm_state: state }, counts.get(state) ?? 0);
    }
  });
  const pending = new Set<Promise<void>>();
  let unsubscribe: (() => void) | undefined;
  const settled = async () => {
    for (;;) {
      await engine.settled();
      if (pending.size === 0) return;
      await Promise.all([...pending]);
    }
  };
  return {
    app: computeApp(ctx),
    settled,
    async instanceSpec(id) {
      const row = await store.get(id);
      if (!row || row.deletedAt) return undefined;
      const spec = await engine.spawnSpec(row);
      const tags = await interfaceTags(deps.db.db, id);
      const ports = spec.ports.map((p) => {
        const tag = tags.get(p.id);
        return tag ? { ...p, tag } : p;
      });
      return { ...spec, ports, image: spec.image ? { ...spec.image, token: undefined } : null };
    },
    async start() {
      unsubscribe = services.fleet.subscribe((event) => {
        const p = reconciler
          .onEvent(event)
          .catch((err: unknown) => log.error({ err, event: event.type }, 'reconciliation failed'));
        pending.add(p);
        void p.finally(() => pending.delete(p));
      });
      await reconciler.resume();
    },
    async stop() {
      unsubscribe?.();
      await settled();
    },
  };
}
