import type { SiteDeps } from '../services.ts';
import type { Quotas } from './quotas.ts';
import type { ServerEngine } from './servers/engine.ts';
import type { ServerStore } from './servers/store.ts';
import type { ComputeServices } from './services.ts';

/** What compute's routes share: deps, the other modules' services, the server table and engine, quotas. */
export interface ComputeContext {
  deps: SiteDeps;
  services: ComputeServices;
  store: ServerStore;
  engine: ServerEngine;
  quotas: Quotas;
  /** Serializes quota check + insert of creates (no over-commit of quota by concurrent requests). */
  createLock<T>(fn: () => Promise<T>): Promise<T>;
}
