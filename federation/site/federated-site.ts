import { join } from 'node:path';
import { createEdgeSite, type EdgeSite, type EdgeSiteOptions } from '../../edge-site/create-edge-site.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { Transport } from '../../shared/ports/transport.ts';
import { federationRoutes } from '../api/index.ts';
import { homeSiteMiddleware } from '../index/home.ts';
import { INDEX_TYPES, resourcesFingerprint, scanResources } from '../index/sources.ts';
import { type IndexWriter, startIndexWriter } from '../index/writer.ts';
import { type QuotaEscrowService, startQuotaEscrow } from '../quota/service.ts';
import { sqliteUsage } from '../quota/usage.ts';
import type { LiveDocBudget } from '../store/live-docs.ts';
import type { CatalogPersistence } from '../store/persistence.ts';
import type { ReplicatedCatalog } from '../store/replicated-catalog.ts';
import { siteCatalog } from '../store/site-catalog.ts';
import { type AuthenticatedTransport, authenticateTransport } from '../sync/authenticated-transport.ts';
import { type CatalogSync, type CatalogSyncOptions, startCatalogSync } from '../sync/catalog-sync.ts';
import { nextSessionEpoch } from '../sync/session-epoch.ts';
import { derivedTestSiteKey, loadOrCreateSiteKey, type SiteKey, siteKeyFromProtobuf } from '../sync/site-key.ts';
import { catalogKeyLookup, publishSiteKey } from '../sync/site-keys.ts';
import { honestStateHeaders } from './headers.ts';
import { type Membership, startMembership } from './membership.ts';

/** Options of {@link createFederatedSite}: an edge site's, plus the transport to its peers (owned: closed at stop). */
export interface FederatedSiteOptions extends Omit<EdgeSiteOptions, 'catalog' | 'federation'> {
  transport: Transport;
  /**
   * The key signing this site's messages to peers. Default: a libp2p transport's own key, else
   * `<dataDir>/federation/peer.key` (created on first use), or a key derived from the site id when the database is
   * in memory (tests: a site restarted with a fresh in-memory database keeps its key; never for real sites).
   */
  siteKey?: SiteKey;
  /**
   * Bound on the catalog's live Automerge documents, shared by the sites given the same budget (simulations of
   * hundreds of sites in one process: federation/store/live-docs.ts). Default: every document stays live.
   */
  liveDocs?: LiveDocBudget;
  /** Where the catalog keeps its documents (site-catalog.ts `persistence`). Default: the site's SQLite database. */
  catalogPersistence?: () => CatalogPersistence;
}

/** The key of {@link FederatedSiteOptions.siteKey}. */
function siteKeyFor(options: FederatedSiteOptions): SiteKey {
  if (options.siteKey) return options.siteKey;
  const own = (options.transport as Partial<{ identityKey(): Uint8Array }>).identityKey;
  if (own) return siteKeyFromProtobuf(own.call(options.transport));
  if (options.dbPath === ':memory:') return derivedTestSiteKey(options.config.site);
  return loadOrCreateSiteKey(join(options.config.dataDir, 'federation', 'peer.key'));
}

/** The sync engine's overlay options from `config.federation.syncOverlay` (unset ones keep the engine's defaults). */
function syncOverlayOptions(
  o: FederatedSiteOptions['config']['federation']['syncOverlay'],
): Partial<CatalogSyncOptions> {
  if (!o) return {};
  const overlay = {
    ...(o.fullMeshMax !== undefined ? { fullMeshMax: o.fullMeshMax } : {}),
    ...(o.successors !== undefined ? { successors: o.successors } : {}),
  };
  return { overlay, ...(o.pushDelayMs !== undefined ? { pushDelayMs: o.pushDelayMs } : {}) };
}

/** An edge site whose catalog is replicated with its peers. */
export interface FederatedSite extends EdgeSite {
  readonly store: ReplicatedCatalog;
  readonly sync: CatalogSync;
  readonly membership: Membership;
  readonly transport: Transport;
  /** The signed view of `transport` that sync and membership use (verification counters). */
  readonly auth: AuthenticatedTransport;
  /** Writes this site's entries of the global resource index (federation/index). */
  readonly index: IndexWriter;
  /** Partition-safe quota escrow (federation/quota), also set as `deps.quotaEscrow`. */
  readonly escrow: QuotaEscrowService;
}

/**
 * An edge site joined to a federation: the replicated catalog in its SQLite database, synced over `transport`;
 * its own `sites` record kept fresh and peers' liveness derived (membership); `/federation/v1` (status, sites,
 * conflicts); and honest-state headers on every response. Timing comes from `config.federation`.
 */
export async function createFederatedSite(options: FederatedSiteOptions): Promise<FederatedSite> {
  const { config, transport } = options;
  const clock = options.clock ?? systemClock;
  const log = (options.log ?? silentLogger).child({ site: config.site });
  const key = siteKeyFor(options);
  let auth: AuthenticatedTransport | undefined;
  let parts:
    | {
        store: ReplicatedCatalog;
        sync: CatalogSync;
        membership: Membership;
        index: IndexWriter;
        escrow: QuotaEscrowService;
      }
    | undefined;
  const site = await createEdgeSite({
    ...options,
    clock,
    catalog: siteCatalog({
      siteId: config.site,
      clock,
      log,
      ...(options.liveDocs ? { liveDocs: options.liveDocs } : {}),
      ...(options.catalogPersistence ? { persistence: options.catalogPersistence } : {}),
    }),
    federation: async ({ deps, identity }) => {
      const store = deps.catalog as ReplicatedCatalog;
      await publishSiteKey(store, config.site, key.publicKey, clock.now());
      auth = authenticateTransport({
        inner: transport,
        key,
        epoch: await nextSessionEpoch(deps.db.db, clock.now()),
        clock,
        log: log.child({ component: 'federation-auth' }),
        knownKey: catalogKeyLookup(store),
        ...(config.federation.joinSecret ? { joinSecret: config.federation.joinSecret } : {}),
        metrics: deps.metrics,
      });
      const sync = startCatalogSync({
        replica: store.replica,
        transport: auth,
        clock,
        log: log.child({ component: 'catalog-sync' }),
        intervalMs: config.federation.syncIntervalMs,
        ...syncOverlayOptions(config.federation.syncOverlay),
      });
      const membership = startMembership({
        catalog: store,
        transport: auth,
        clock,
        log: log.child({ component: 'membership' }),
        self: {
          id: config.site,
          name: config.site,
          region: config.region,
          url: config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`,
        },
        localDigest: () => sync.status().digest,
        heartbeatMs: config.federation.heartbeatSeconds * 1000,
        digestStaleMs: Math.max(30_000, config.federation.syncIntervalMs * 10),
        ...(config.federation.syncOverlay?.fullMeshMax
          ? { heartbeatSitesPerPeriod: config.federation.syncOverlay.fullMeshMax }
          : {}),
      });
      await membership.heartbeat();
      const index = startIndexWriter({
        siteId: config.site,
        catalog: store,
        scan: () => scanResources(deps.db.client),
        fingerprint: () => resourcesFingerprint(deps.db.client),
        types: INDEX_TYPES,
        clock,
        log: log.child({ component: 'resource-index' }),
      });
      const usage = sqliteUsage(deps.db.client);
      const escrow = startQuotaEscrow({
        siteId: config.site,
        catalog: store,
        transport: auth,
        clock,
        log: log.child({ component: 'quota-escrow' }),
        usage,
      });
      deps.quotaEscrow = escrow;
      parts = { store, sync, membership, index, escrow };
      const d = { siteId: config.site, tokens: identity.tokens, clock, store, sync, membership, escrow, usage };
      return {
        app: federationRoutes(d),
        headers: () => honestStateHeaders(membership.health()),
        middleware: homeSiteMiddleware({
          siteId: config.site,
          catalog: store,
          peer: (id) => membership.peer(id),
        }),
        started: (url) => membership.setUrl(url),
        async stop() {
          await index.stop();
          escrow.stop();
          membership.stop();
          sync.stop();
          await auth?.close();
        },
      };
    },
  });
  if (!parts || !auth) throw new Error('federation hook did not run');
  return Object.assign(site, { ...parts, transport, auth });
}
