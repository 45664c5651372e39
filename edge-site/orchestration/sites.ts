/**
 * Where a resource's API calls go: the local site in-process, another federated site over HTTP — through the
 * global API (`<global>/r/<region>/…`) when one is configured, else straight at its URL from the replicated `sites`
 * catalog. Tokens are valid at every site of a federation (and the global API forwards them).
 */
import { BrumeError } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import { type CloudClient, cloudClient, type Dispatch } from './cloud.ts';

/** Who calls: the token and project the resources are created with. */
export interface Caller {
  token: string;
  projectId: string;
  userId: string;
  /** When `token` expires (ms since epoch), if known. */
  expiresAt?: number;
  /** A token valid now (refreshed near expiry); calls use it instead of `token` when given. */
  freshToken?: () => Promise<string>;
}

/** Hands out a client per site. */
export interface SiteRouter {
  readonly localSite: string;
  client(site: string | undefined, caller: Caller): CloudClient;
}

/** Options of {@link siteRouter}. */
export interface SiteRouterOptions {
  localSite: string;
  /** The local site's base URL (only used to build request URLs; the request is dispatched in-process). */
  localUrl: () => string;
  /** The local site's app. */
  local: Dispatch;
  catalog: CatalogStore;
  /** Requests to other sites (default: global fetch). */
  remote?: Dispatch;
  /** The global API's base URL, read at each call (config `federation.globalUrl`); unset: straight to sites. */
  globalUrl?: () => string | undefined;
}

/**
 * The base URL at which `site` is reached: `<global>/r/<region>` when a global API is configured and the site is
 * the only one of its region (the global API addresses regions), else the site's own URL.
 */
export function remoteBase(
  rec: { id: string; url?: string; region?: unknown },
  all: ReadonlyArray<{ id: string; region?: unknown }>,
  globalUrl: string | undefined,
): string | undefined {
  if (!globalUrl) return rec.url;
  const region = typeof rec.region === 'string' && rec.region !== '' ? rec.region : rec.id;
  const shared = all.some((s) => s.id !== rec.id && (typeof s.region === 'string' ? s.region : s.id) === region);
  if (shared) return rec.url;
  return `${globalUrl.replace(/\/$/, '')}/r/${encodeURIComponent(region)}`;
}

/** The router of a site. */
export function siteRouter(opts: SiteRouterOptions): SiteRouter {
  const remote: Dispatch = opts.remote ?? ((r) => fetch(r));
  return {
    localSite: opts.localSite,
    client(site, caller) {
      if (site === undefined || site === '' || site === opts.localSite) {
        return cloudClient({
          site: opts.localSite,
          baseUrl: opts.localUrl(),
          token: caller.token,
          projectId: caller.projectId,
          dispatch: opts.local,
          ...(caller.freshToken ? { freshToken: caller.freshToken } : {}),
        });
      }
      const all = opts.catalog.list('sites');
      const rec = opts.catalog.get('sites', site) ?? all.find((s) => s.name === site);
      const baseUrl = rec ? remoteBase(rec, all, opts.globalUrl?.()) : undefined;
      if (!rec || !baseUrl) {
        throw new BrumeError(
          'bad_request',
          'orchestration.site_unknown',
          `The site ${site} is not a member of this federation.`,
          {
            type: 'StackValidationFailed',
          },
        );
      }
      return cloudClient({
        site: rec.id,
        baseUrl,
        token: caller.token,
        projectId: caller.projectId,
        dispatch: remote,
        ...(caller.freshToken ? { freshToken: caller.freshToken } : {}),
      });
    },
  };
}
