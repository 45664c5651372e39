import { type Context, Hono } from 'hono';
import { rewriteTokenBody } from './catalog.ts';
import { errorResponse, serviceOf } from './errors.ts';
import { forwardAnywhere, forwardToRegion, prepare } from './forward.ts';
import { forwardHeaders, jsonOf, relay, requestBody, Unreachable } from './proxy.ts';
import { createGlobalState, type GlobalDeps, type GlobalState } from './state.ts';

export type { GlobalDeps, GlobalState } from './state.ts';

/** Service path prefixes served without a region (routed by scope, resource id, fan-out or placement). */
const SERVICES = ['compute', 'image', 'network', 'volume', 'orchestration'];

/**
 * The global API: one OpenStack endpoint for the whole federation. Runtime-neutral (a Worker under workerd and
 * Node run the same app; see worker.ts and node.ts). Stateless apart from caches: it holds no catalog and no
 * private key, and asks sites for everything.
 * - `/v3/...` (Keystone) goes to any reachable site (identity is replicated), failing over to the next; token
 *   catalogs are rewritten so that every service is listed once per region with endpoints through this API.
 * - `/r/<region>/<site path>` goes to that region; `/r/<allRegion>/...` and `/<service>/...` route by scope header,
 *   resource id, fan-out or placement (forward.ts).
 * - `/dashboard`, `/federation/...` go to any reachable site; `/global/v1/health` is this API's view of the sites.
 */
export function createGlobalApp(deps: GlobalDeps): { app: Hono; state: GlobalState } {
  const state = createGlobalState(deps);
  const { config } = deps;
  const app = new Hono();
  const baseOf = (req: Request) => config.publicUrl ?? new URL(req.url).origin;
  /** `waitUntil` of the Worker's request context; on Node a floating promise simply runs on. */
  const deferOf =
    (c: Context) =>
    (p: Promise<unknown>): void => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // No ExecutionContext (Node): nothing to extend.
      }
    };

  app.get('/global/v1/health', (c) => {
    const breakers = state.health.states();
    const regions = state.sites.regions().map((name) => ({
      name,
      sites: state.sites.inRegion(name).map((s) => ({
        id: s.id ?? null,
        url: s.url,
        circuit: breakers[s.url]?.state ?? 'closed',
      })),
    }));
    const sites = state.sites.all().map((s) => ({
      url: s.url,
      id: s.id ?? null,
      region: s.region ?? null,
      circuit: breakers[s.url]?.state ?? 'closed',
    }));
    return c.json({ regions, sites });
  });

  const regional = async (c: Context, region: string, rest: string) => {
    const req = c.req.raw;
    const base = baseOf(req);
    const o = await prepare(state, req, base, serviceOf(rest), rest, deferOf(c));
    if (o instanceof Response) return o;
    if (region === config.allRegion) return forwardAnywhere(state, o, req, { fanOut: true, placeCreates: true });
    return forwardToRegion(state, o, region);
  };
  app.all('/r/:region/*', (c) => {
    const region = c.req.param('region');
    const path = new URL(c.req.url).pathname;
    return regional(c, region, path.slice(`/r/${encodeURIComponent(region)}`.length) || '/');
  });
  app.all('/r/:region', (c) => regional(c, c.req.param('region'), '/'));

  for (const svc of SERVICES) {
    const handler = async (c: Context) => {
      const req = c.req.raw;
      const rest = new URL(req.url).pathname;
      const o = await prepare(state, req, baseOf(req), serviceOf(rest), rest, deferOf(c));
      if (o instanceof Response) return o;
      return forwardAnywhere(state, o, req, { fanOut: false, placeCreates: false });
    };
    app.all(`/${svc}`, handler);
    app.all(`/${svc}/*`, handler);
  }

  // Identity, the dashboard and the federation API: any reachable site.
  app.all('*', async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const base = baseOf(req);
    const service = serviceOf(url.pathname);
    const token = req.headers.get('x-auth-token') ?? undefined;
    if (token !== undefined && !(req.method === 'POST' && url.pathname === '/v3/auth/tokens')) {
      const v = await state.keys.verify(token);
      if (!v.ok && (v.reason !== 'unknown_key' || state.keys.loaded())) {
        return errorResponse(service, 401, 'The request you have made requires authentication.', {
          'WWW-Authenticate': `Keystone uri="${base}/v3"`,
        });
      }
    }
    const init = { method: req.method, headers: forwardHeaders(req), body: await requestBody(req, url.pathname) };
    let site: { url: string };
    let res: Response;
    try {
      ({ site, res } = await state.sendAny(url.pathname + url.search, init));
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      return errorResponse(service, 503, 'No site of this federation is reachable.');
    }
    if (/^\/v3\/auth\/(tokens|catalog)$/.test(url.pathname) && res.ok) {
      const body = await jsonOf(res);
      const original = rewriteTokenBody(body, base, config.allRegion);
      if (original) state.sites.learnCatalog(original);
      const headers = new Headers(res.headers);
      headers.delete('content-length');
      headers.delete('content-encoding');
      const issued = res.headers.get('x-subject-token') ?? undefined;
      if (req.method === 'POST') await state.refreshSites(issued);
      return new Response(JSON.stringify(body), { status: res.status, headers });
    }
    return relay(res, site.url, base, {});
  });

  app.onError((err, c) => {
    deps.log.error({ err: String(err), path: c.req.path }, 'global: unhandled error');
    return errorResponse(
      serviceOf(c.req.path),
      500,
      'An unexpected error prevented the server from fulfilling your request.',
    );
  });
  return { app, state };
}
