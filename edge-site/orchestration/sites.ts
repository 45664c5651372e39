/**
 * Where a resource's API calls go: the local site in-process, another federated site over HTTP (its URL from the
 * replicated `sites` catalog). Tokens are valid at every site of a federation.
 */
import { BrumeError } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import { type CloudClient, cloudClient, type Dispatch } from './cloud.ts';

/** Who calls: the token and project the resources are created with. */
export interface Caller {
  token: string;
  projectId: string;
  userId: string;
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
        });
      }
      const rec = opts.catalog.get('sites', site) ?? opts.catalog.list('sites').find((s) => s.name === site);
      if (!rec?.url) {
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
        baseUrl: rec.url,
        token: caller.token,
        projectId: caller.projectId,
        dispatch: remote,
      });
    },
  };
}
