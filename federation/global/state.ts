import type { Logger } from '../../shared/ports/logger.ts';
import type { GlobalConfig } from './config.ts';
import { createHealth, type Health } from './health.ts';
import { EdgeKeys } from './keys.ts';
import { type Fetcher, jsonOf, type SiteBody, send, Unreachable } from './proxy.ts';
import { type SiteEntry, SiteTable } from './sites.ts';

/** What the global API is built from (the runtime entry — worker.ts or node.ts — supplies it). */
export interface GlobalDeps {
  config: GlobalConfig;
  /** Reaches sites. */
  fetch: Fetcher;
  /** Milliseconds since epoch (a Clock's `now`). */
  now: () => number;
  log: Logger;
}

/** The global API's in-memory view (per process / per Worker isolate): sites, their health, keys, locations. */
export interface GlobalState {
  deps: GlobalDeps;
  sites: SiteTable;
  health: Health;
  keys: EdgeKeys;
  /** resource id → base URL of its home site (learned from the index or a probe). */
  homes: Map<string, string>;
  /** Sends to one site through its breaker. */
  send(base: string, pathAndQuery: string, init: SendInit, timeoutMs?: number): Promise<Response>;
  /** Sends to the first site that answers, trying healthy sites first (identity, index look-ups). */
  sendAny(pathAndQuery: string, init: SendInit, timeoutMs?: number): Promise<{ site: SiteEntry; res: Response }>;
  /**
   * Probes a site whose circuit is not closed, when its breaker lets a probe through (`GET /healthz`: any HTTP
   * answer closes the circuit), without making the caller wait: `defer` keeps the promise alive (a Worker's
   * `waitUntil`; on Node the promise simply runs on).
   */
  probe(base: string, defer: (p: Promise<unknown>) => void): void;
  /** Re-reads the site list with the caller's token when it is older than `refreshMs`. */
  refreshSites(token: string | undefined): Promise<void>;
}

/** A request to a site. */
export interface SendInit {
  method: string;
  headers: Headers;
  body: SiteBody;
}

/** Builds the state. */
export function createGlobalState(deps: GlobalDeps): GlobalState {
  const { config } = deps;
  const sites = new SiteTable(config.sites);
  const health = createHealth({ now: deps.now, failures: config.failures, cooldownMs: config.cooldownMs });
  let refreshing: Promise<void> | null = null;

  const state: GlobalState = {
    deps,
    sites,
    health,
    homes: new Map(),
    keys: new EdgeKeys({
      now: deps.now,
      load: async () => {
        const { res } = await state.sendAny('/federation/v1/keys', {
          method: 'GET',
          headers: new Headers(),
          body: null,
        });
        return res.ok ? jsonOf(res) : undefined;
      },
    }),
    send: (base, pq, init, timeoutMs) =>
      send({ fetch: deps.fetch, health, timeoutMs: timeoutMs ?? config.timeoutMs }, base, pq, init),
    async sendAny(pq, init, timeoutMs) {
      const all = sites.all();
      const order = [...all.filter((s) => health.healthy(s.url)), ...all.filter((s) => !health.healthy(s.url))];
      let last: unknown = new Unreachable('*', 'circuit_open');
      for (const site of order) {
        try {
          return { site, res: await state.send(site.url, pq, init, timeoutMs) };
        } catch (err) {
          if (!(err instanceof Unreachable)) throw err;
          last = err;
        }
      }
      throw last;
    },
    probe(base, defer) {
      if (!health.allow(base)) return;
      const init = { method: 'GET', headers: new Headers(), body: null };
      const o = { fetch: deps.fetch, health, timeoutMs: config.fanOutTimeoutMs };
      defer(
        send(o, base, '/healthz', init, true).then(
          (r) => r.body?.cancel(),
          () => {},
        ),
      );
    },
    async refreshSites(token) {
      if (token === undefined || !sites.stale(deps.now(), config.refreshMs)) return;
      if (!refreshing) {
        refreshing = (async () => {
          try {
            const headers = new Headers({ 'X-Auth-Token': token, Accept: 'application/json' });
            const { res } = await state.sendAny('/federation/v1/sites', { method: 'GET', headers, body: null });
            // A token without the reader role gets a 403: remember the attempt all the same (no retry storm).
            sites.learnSites(res.ok ? await jsonOf(res) : undefined, deps.now());
            if (!res.bodyUsed) await res.body?.cancel();
          } catch (err) {
            deps.log.warn({ err: String(err) }, 'global: could not refresh the site list');
          } finally {
            refreshing = null;
          }
        })();
      }
      await refreshing;
    },
  };
  return state;
}
