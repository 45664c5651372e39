import type { TokenValidator } from '../../edge-site/api/middleware/auth.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Site } from '../../shared/schemas/catalog/index.ts';
import type { EscrowStatus } from '../quota/service.ts';
import type { PeerView } from '../site/membership.ts';
import type { ReplicatedCatalog } from '../store/replicated-catalog.ts';
import type { CatalogSync } from '../sync/catalog-sync.ts';

/** What the federation routes read. */
export interface FederationApiDeps {
  siteId: string;
  tokens: TokenValidator;
  clock: Clock;
  store: ReplicatedCatalog;
  sync: CatalogSync;
  membership: { peers(): PeerView[]; peer(id: string): PeerView | undefined };
  /** The quota escrow (`GET /quotas/{project}`); absent: that route answers 404. */
  escrow?: { status(projectId: string): EscrowStatus[] };
  /** This site's consumption of an escrowed resource (`<service>.<resource>`). */
  usage?: (projectId: string, resource: string) => Promise<number>;
}

/** Milliseconds to ISO 8601 (null stays null). */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** A site record with this site's view of its liveness, as the API shows it. */
export function siteView(d: FederationApiDeps, s: Site | undefined, id: string): Record<string, unknown> {
  const p = id === d.siteId ? undefined : d.membership.peer(id);
  return {
    id,
    name: s?.name ?? id,
    region: s?.region ?? null,
    url: s?.url ?? null,
    created_at: iso(s?.created_at),
    last_seen: iso(s?.last_seen),
    self: id === d.siteId,
    status: id === d.siteId ? 'up' : (p?.status ?? 'unknown'),
    reachable: id === d.siteId ? true : (p?.reachable ?? false),
    last_contact: id === d.siteId ? iso(d.clock.now()) : iso(p?.last_contact),
    down_since: iso(p?.down_since),
    replication:
      id === d.siteId || !p || p.replication.in_sync === null // null: no recent digest (e.g. not a sync neighbour)
        ? null
        : {
            in_sync: p.replication.in_sync,
            out_of_sync_since: iso(p.replication.out_of_sync_since),
            lag_ms:
              p.replication.out_of_sync_since === null
                ? p.replication.in_sync
                  ? 0
                  : null
                : d.clock.now() - p.replication.out_of_sync_since,
            digest_at: iso(p.replication.digest_at),
          },
  };
}
