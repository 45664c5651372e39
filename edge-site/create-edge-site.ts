import { type ServerType, serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { SiteConfig } from '../shared/config.ts';
import type { AgentBus } from '../shared/ports/agent-bus.ts';
import type { CatalogStore } from '../shared/ports/catalog-store.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import { type IdSource, systemIds } from '../shared/ports/ids.ts';
import { type Logger, silentLogger } from '../shared/ports/logger.ts';
import type { AppEnv } from './api/env.ts';
import { errorBody, errorResponse, notFoundResponse } from './api/errors.ts';
import { requestContext } from './api/middleware/request-context.ts';
import { createCompute } from './compute/index.ts';
import { peerCors } from './dashboard/peer-cors.ts';
import { dashboardRoutes } from './dashboard/serve.ts';
import { sqliteCatalogStore } from './db/catalog-store.ts';
import { openDatabase, type SiteDatabase } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { createFleet } from './fleet/index.ts';
import { createIdentity } from './identity/index.ts';
import { createImage } from './image/index.ts';
import { createMetadata } from './metadata/index.ts';
import { createNetwork } from './network/index.ts';
import { createMetrics } from './ops/metrics.ts';
import { opsRoutes } from './ops/routes.ts';
import { createOrchestration } from './orchestration/index.ts';
import type { Fleet, IdentityService, Placement, SiteDeps, SiteModule } from './services.ts';
import { createVolume } from './volume/index.ts';

/** Everything a site can be given; only `config` is required (production defaults for the rest). */
export interface EdgeSiteOptions {
  config: SiteConfig;
  clock?: Clock;
  ids?: IdSource;
  log?: Logger;
  /** Replaces the SQLite catalog (federation passes its replicated store). */
  catalog?: (db: SiteDatabase) => Promise<CatalogStore>;
  /** SQLite path; default `<dataDir>/site.db`. `:memory:` for tests. */
  dbPath?: string;
  /** The bus to the site's agents instead of MQTT (the sim's in-process one): no broker is started. */
  agentBus?: AgentBus;
  /** Joins the site to a federation (federation/site): built once the modules exist, before routes are mounted. */
  federation?: (site: { deps: SiteDeps; identity: IdentityService }) => Promise<SiteFederation>;
}

/** What federation adds to a site: its API, honest-state headers, and work tied to the site's lifetime. */
export interface SiteFederation {
  /** Mounted at `/federation/v1` (Brume's own API). */
  app: Hono<AppEnv>;
  /** Headers added to every response (e.g. how many catalog peers are down), read per request. */
  headers(): Record<string, string>;
  /** Runs around every request after the headers above (e.g. 404s of resources homed at another site). */
  middleware?: MiddlewareHandler<AppEnv>;
  /** Called once the site listens, with its URL. */
  started?(url: string): Promise<void>;
  /** Called first when the site stops. */
  stop(): Promise<void>;
}

/** A running (or ready-to-run) edge site. */
export interface EdgeSite {
  readonly config: SiteConfig;
  readonly app: Hono<AppEnv>;
  readonly deps: SiteDeps;
  readonly identity: IdentityService;
  readonly fleet: Fleet;
  readonly placement: Placement;
  /** The MQTT URL agents connect to (the embedded broker's, or the external one). */
  readonly mqttUrl: string;
  /** Base URL once listening (`config.api.publicUrl` or the bound address). */
  url: string;
  /** Starts background work and listens on `config.api.host:port` (port 0 picks one). */
  listen(): Promise<string>;
  /** Stops accepting, finishes in-flight requests, stops modules, closes the database. */
  stop(): Promise<void>;
}

/** The composition root: builds a site from its config and ports. */
export async function createEdgeSite(options: EdgeSiteOptions): Promise<EdgeSite> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? systemIds(() => clock.now());
  const log = (options.log ?? silentLogger).child({ site: config.site });
  const db = await openDatabase(options.dbPath ?? `${config.dataDir}/site.db`);
  await migrateDatabase(db);
  const catalog = options.catalog ? await options.catalog(db) : await sqliteCatalogStore(db, clock);
  const metrics = createMetrics();
  const deps: SiteDeps = { config, clock, ids, log, db, catalog, metrics };

  const identity = await createIdentity(deps);
  const fleet = await createFleet(deps, options.agentBus ? { bus: options.agentBus } : {});
  const image = await createImage(deps, { identity });
  const network = await createNetwork(deps, { identity, fleet: fleet.fleet });
  const volume = await createVolume(deps, { identity, image, fleet: fleet.fleet });
  const compute = await createCompute(deps, {
    identity,
    image,
    network,
    fleet: fleet.fleet,
    placement: fleet.placement,
    volume,
  });
  // Stacks call the site's own APIs in-process (the app exists by the time any request runs).
  const orchestration = await createOrchestration(deps, {
    identity,
    local: async (request) => app.fetch(request),
    localUrl: () => config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`,
  });
  // Guests' 169.254.169.254 requests, relayed by the agents with a signed instance id.
  const metadata = createMetadata(deps, { instanceSpec: compute.instanceSpec });
  const modules: SiteModule[] = [identity, fleet, image, network, volume, compute, orchestration, metadata];
  const federation = options.federation ? await options.federation({ deps, identity }) : undefined;

  const app = new Hono<AppEnv>();
  app.use(requestContext({ log, metrics, clock, ids }));
  // Other federation sites' dashboards may read this site's API (their registered origins only).
  app.use(peerCors(catalog));
  if (federation) {
    app.use(async (c, next) => {
      await next();
      const headers = Object.entries(federation.headers());
      if (headers.length === 0) return;
      // Responses proxied from elsewhere may carry immutable headers: copy them once.
      try {
        for (const [k, v] of headers) c.res.headers.set(k, v);
      } catch {
        c.res = new Response(c.res.body, c.res);
        for (const [k, v] of headers) c.res.headers.set(k, v);
      }
    });
    if (federation.middleware) app.use(federation.middleware);
  }
  const limit = bodyLimit({
    maxSize: config.api.maxBodyBytes,
    onError: (c) => c.json(errorBody(c.get('service') ?? 'brume', 413, 'Request is too large.'), 413),
  });
  // Image uploads stream large bodies; every other route is capped.
  app.use(async (c, next) => (/\/file$|\/stage$/.test(c.req.path) ? next() : limit(c, next)));
  app.route('/', opsRoutes(deps, fleet.fleet));
  app.route('/compute', compute.app);
  app.route('/image', image.app);
  app.route('/network', network.app);
  app.route('/volume', volume.app);
  app.route('/orchestration', orchestration.app);
  app.route('/metadata', metadata.app);
  if (federation) app.route('/federation/v1', federation.app);
  // The web console (static client; it calls the APIs above like any client).
  app.route('/dashboard', dashboardRoutes(catalog));
  app.route('/', identity.app);
  app.notFound(notFoundResponse);
  app.onError(errorResponse);

  let server: ServerType | undefined;
  const site: EdgeSite = {
    config,
    app,
    deps,
    identity,
    fleet: fleet.fleet,
    placement: fleet.placement,
    mqttUrl: fleet.mqttUrl,
    url: config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`,
    async listen() {
      for (const m of modules) await m.start?.();
      const port = await new Promise<number>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) =>
          resolve(info.port),
        );
        s.once('error', reject);
        server = s;
      });
      // Port 0 picked one: URLs built from the config later (e.g. Glance file URLs for agents) must name it.
      if (config.api.port === 0) config.api.port = port;
      site.url = config.api.publicUrl ?? `http://${config.api.host}:${port}`;
      await federation?.started?.(site.url);
      log.info({ url: site.url }, 'site listening');
      return site.url;
    },
    async stop() {
      const s = server;
      if (s) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
          if ('closeIdleConnections' in s) s.closeIdleConnections();
        });
      }
      await federation?.stop();
      for (const m of [...modules].reverse()) await m.stop?.();
      await catalog.close();
      db.close();
      log.info('site stopped');
    },
  };
  return site;
}
