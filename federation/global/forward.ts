import type { ServiceName } from '../../edge-site/api/env.ts';
import { errorResponse, regionUnavailable, unauthorizedResponse } from './errors.ts';
import { fanOut } from './fanout.ts';
import { indexEntry, isCollection, locate, resourceOf, staleResponse } from './locate.ts';
import { place } from './placement.ts';
import { forwardHeaders, rebase, relay, requestBody, Unreachable } from './proxy.ts';
import { checkImageScope, parseScope, type Scope, scopedRegion } from './scope.ts';
import type { SiteEntry } from './sites.ts';
import type { GlobalState, SendInit } from './state.ts';

/** One request on its way to a site: the site-relative path, query and what to send. */
export interface Outgoing {
  /** This API's base URL (links in answers are rewritten to it). */
  base: string;
  service: ServiceName;
  /** Path at the site (`/compute/v2.1/servers`). */
  rest: string;
  /** Query string with its `?`, Brume's own parameters removed. */
  query: string;
  init: SendInit;
  token: string | undefined;
  scope: Scope;
  /** Keeps background work (probes) alive past the response: a Worker's `waitUntil`. */
  defer: (p: Promise<unknown>) => void;
}

const BOOL = /^(1|true|yes|on)$/i;

/** A GET of a service's root or version (`/compute`, `/compute/v2.1`, `/image/versions`): a version document. */
function isVersionDoc(method: string, rest: string): boolean {
  return method === 'GET' && rest.split('/').filter((s) => s !== '').length <= 2;
}

/**
 * Checks the caller's token at the edge and builds the outgoing request. Version documents (a GET of a path of at
 * most two segments, e.g. `/compute/v2.1`) pass without a token; everything else needs one that verifies.
 */
export async function prepare(
  state: GlobalState,
  req: Request,
  base: string,
  service: ServiceName,
  rest: string,
  defer: (p: Promise<unknown>) => void,
): Promise<Outgoing | Response> {
  const url = new URL(req.url);
  const params = new URLSearchParams(url.search);
  params.delete('all_regions');
  const query = params.size > 0 ? `?${params.toString()}` : '';
  const token = req.headers.get('x-auth-token') ?? undefined;
  const versionDoc = isVersionDoc(req.method, rest);
  if (token === undefined && !versionDoc) return unauthorizedResponse(service, base);
  if (token !== undefined) {
    const v = await state.keys.verify(token);
    if (!v.ok) {
      if (v.reason === 'unknown_key' && !state.keys.loaded()) {
        return errorResponse(service, 503, 'No site is reachable to read the federation keys.');
      }
      return unauthorizedResponse(service, base);
    }
    await state.refreshSites(token);
  }
  const parsed = parseScope(req.headers.get('x-brume-scope') ?? undefined);
  if ('error' in parsed) return errorResponse(service, 400, parsed.error);
  return {
    base,
    service,
    rest,
    query,
    token,
    scope: parsed.scope,
    defer,
    init: { method: req.method, headers: forwardHeaders(req), body: await requestBody(req, rest) },
  };
}

/** Sends to one site of `region`; an unreachable site is a 503 naming the region, or the index's stale answer. */
async function toSite(
  state: GlobalState,
  o: Outgoing,
  site: SiteEntry,
  region: string,
  extra: Record<string, string> = {},
) {
  try {
    const res = await state.send(site.url, o.rest + o.query, o.init);
    return await relay(res, site.url, `${o.base}/r/${region}`, { 'X-Brume-Region': region, ...extra });
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    if (isVersionDoc(o.init.method, o.rest)) {
      // Version documents are the same code at every site: another site's keeps clients' discovery working, so
      // they reach the real request and its 503 naming the region.
      try {
        const { site: other, res } = await state.sendAny(o.rest + o.query, o.init);
        return await relay(res, other.url, `${o.base}/r/${region}`, { 'X-Brume-Region': region, ...extra });
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
      }
    }
    const r = resourceOf(o.rest);
    if (r && o.token !== undefined && (o.init.method === 'GET' || o.init.method === 'HEAD')) {
      const entry = await indexEntry(state, r.id, o.token);
      if (entry) return staleResponse(r, entry, region);
    }
    return regionUnavailable(o.service, region, err.reason.replace('_', ' '));
  }
}

/** A request for a named region (`/r/<region>/...` or the scope header). */
export async function forwardToRegion(state: GlobalState, o: Outgoing, region: string): Promise<Response> {
  const sites = state.sites.inRegion(region);
  if (sites.length === 0) return errorResponse(o.service, 404, `Region ${region} is not part of this federation.`);
  const refused = await checkImageScope(state, o.scope, o.rest, o.init.body, o.init.headers);
  if (refused) return refused;
  let site = sites.find((s) => state.health.healthy(s.url)) ?? sites[0];
  const r = resourceOf(o.rest);
  if (sites.length > 1 && r && o.token !== undefined) site = (await locate(state, r, o.token, sites)).site ?? site;
  if (!site) return regionUnavailable(o.service, region, 'no site');
  return toSite(state, o, site, region);
}

/** Every site with a region, each once, regions in name order. */
function targets(state: GlobalState): Array<{ region: string; site: SiteEntry }> {
  return state.sites
    .all()
    .filter((s) => s.region !== undefined || s.id !== undefined)
    .map((site) => ({ region: state.sites.regionOf(site), site }))
    .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : a.site.url < b.site.url ? -1 : 1));
}

/**
 * A request that names no region (`/<service>/...`, or `/r/<allRegion>/...`): by scope header, else by resource id
 * (the resource index), else fanned out (a GET, when `fanOut`), else placed by the federation (a create, when
 * `placeCreates`), else the first reachable region. The answer names the region (`X-Brume-Region`).
 */
export async function forwardAnywhere(
  state: GlobalState,
  o: Outgoing,
  req: Request,
  opts: { fanOut: boolean; placeCreates: boolean },
): Promise<Response> {
  const named = scopedRegion(o.scope, o.service);
  if (named !== undefined) return forwardToRegion(state, o, named);
  const all = targets(state);
  const r = resourceOf(o.rest);
  if (r && o.token !== undefined) {
    const { site, entry } = await locate(
      state,
      r,
      o.token,
      all.map((t) => t.site),
    );
    if (site) return toSite(state, o, site, state.sites.regionOf(site));
    const home = entry ? state.sites.byId(entry.site_id) : undefined;
    if (entry && (o.init.method === 'GET' || o.init.method === 'HEAD')) {
      return staleResponse(r, entry, home ? state.sites.regionOf(home) : entry.site_id);
    }
    if (entry)
      return regionUnavailable(o.service, home ? state.sites.regionOf(home) : entry.site_id, 'home site unreachable');
  }
  const url = new URL(req.url);
  const fan =
    opts.fanOut ||
    BOOL.test(req.headers.get('x-brume-fan-out') ?? '') ||
    BOOL.test(url.searchParams.get('all_regions') ?? '');
  if ((o.init.method === 'GET' || o.init.method === 'HEAD') && fan && !r) {
    return fanOut(
      state,
      all,
      o.rest + o.query,
      o.init,
      (text, site, region) => rebase(text, site.url, `${o.base}/r/${region}`),
      o.defer,
    );
  }
  const wantsPlacement = opts.placeCreates || req.headers.get('x-brume-placement') !== null;
  if (o.init.method === 'POST' && isCollection(o.rest) && wantsPlacement && o.token !== undefined) {
    const near = req.headers.get('x-brume-near') ?? undefined;
    const p = await place(state, o.token, near);
    if (!p) return errorResponse(o.service, 503, 'No region is reachable to place this request.');
    return toSite(state, o, p.site, p.region, { 'X-Brume-Placement': p.basis });
  }
  const first = all.find((t) => state.health.healthy(t.site.url)) ?? all[0];
  if (!first) return errorResponse(o.service, 503, 'No region of this federation is known yet.');
  return toSite(state, o, first.site, first.region);
}
