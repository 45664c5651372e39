/**
 * The orchestration module (Heat-compatible stacks from HOT templates). Resources are made through the OpenStack
 * APIs of the site they name (`brume:site` in their metadata), this site in-process, others over HTTP (through the
 * global API when `federation.globalUrl` is set). Long operations refresh their token with delegated ones.
 */
import { orchestrationApi } from '../api/orchestration/index.ts';
import type { IdentityService, SiteDeps, SiteModule } from '../services.ts';
import type { Dispatch } from './cloud.ts';
import { refreshFor } from './engine/credentials.ts';
import { type OrchestrationEngine, orchestrationEngine } from './engine/service.ts';
import { stackStore } from './engine/store.ts';
import { RESOURCE_TYPES } from './resources/index.ts';
import type { ResourceType } from './resources/types.ts';
import { siteRouter } from './sites.ts';
import { softwareStore } from './software.ts';

/** A delegated token from `identity` (only called when it can issue them). */
function delegate(
  identity: IdentityService,
  input: { userId: string; projectId: string; ttlMs: number },
): Promise<string> {
  if (!identity.issueDelegatedToken) throw new Error('no delegated tokens');
  return identity.issueDelegatedToken(input);
}

/** Options of the orchestration module. */
export interface OrchestrationOptions {
  identity: IdentityService;
  /** The site's own app (resources call the site's APIs through it). */
  local: Dispatch;
  /** The site's base URL (for request URLs). */
  localUrl: () => string;
  /** Requests to other sites (default: fetch). */
  remote?: Dispatch;
  /** Poll interval of waits (default 1 s of the site clock). */
  pollMs?: number;
  /** Extra or replacement resource types (tests). */
  types?: ReadonlyMap<string, ResourceType>;
}

/** The module plus its engine (tests wait on it). */
export interface OrchestrationModule extends SiteModule {
  readonly engine: OrchestrationEngine;
}

/** Builds the orchestration module. */
export async function createOrchestration(deps: SiteDeps, options: OrchestrationOptions): Promise<OrchestrationModule> {
  const { identity } = options;
  const store = stackStore(deps);
  const types = new Map([...RESOURCE_TYPES, ...(options.types ?? [])]);
  const sites = siteRouter({
    localSite: deps.config.site,
    localUrl: options.localUrl,
    local: options.local,
    catalog: deps.catalog,
    globalUrl: () => deps.config.federation.globalUrl,
    ...(options.remote ? { remote: options.remote } : {}),
  });
  const engine = orchestrationEngine({
    clock: deps.clock,
    ids: deps.ids,
    log: deps.log.child({ module: 'orchestration' }),
    types,
    sites,
    store,
    rowsOf: (id) => store.resources(id),
    pollMs: options.pollMs ?? 1000,
    ...(identity.issueDelegatedToken
      ? { refresh: refreshFor((i) => delegate(identity, i), deps.config.tokens.ttlSeconds) }
      : {}),
  });
  return {
    app: orchestrationApi({ engine, store, types, software: softwareStore(deps) }, options.identity.tokens),
    engine,
    async start() {
      await engine.recover();
    },
    async stop() {
      await engine.stop();
    },
  };
}
