import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Transport } from '../../shared/ports/transport.ts';
import type { Site } from '../../shared/schemas/catalog/index.ts';
import { FrameType, framesOf, json } from '../sync/wire.ts';

/** What this site knows of a peer's liveness: `unknown` until it has heard from it since start. */
export type Liveness = 'up' | 'down' | 'unknown';

/** One peer as seen from here. */
export interface PeerView {
  id: string;
  status: Liveness;
  /** Reachable over the transport now (not only through relays). */
  reachable: boolean;
  /** Local time this site last heard from the peer, directly or through its relayed `last_seen` (ms). */
  last_contact: number | null;
  /** Since when the peer has been `down` (ms), else null. */
  down_since: number | null;
  /**
   * Catalog replication with this peer: whether its last heads digest (announced, or sent to its sync neighbours)
   * equals ours; null when none arrived within `digestStaleMs` (in a sparse overlay, peers that are not neighbours).
   */
  replication: { in_sync: boolean | null; out_of_sync_since: number | null; digest_at: number | null };
}

/** Options of {@link startMembership}. */
export interface MembershipOptions {
  catalog: CatalogStore;
  transport: Transport;
  clock: Clock;
  log: Logger;
  self: { id: string; name: string; region: string; url: string };
  /** Digest of this site's catalog heads (the sync engine's), compared with peers' announcements. */
  localDigest: () => string;
  /** Period of the `last_seen` write (default 15 s: one small write per period). */
  heartbeatMs?: number;
  /** A peer not reachable directly counts as up while its relayed `last_seen` is this fresh (default 3 periods). */
  downAfterMs?: number;
  /**
   * Above this many known sites (default 8, the sync overlay's full-mesh size), every site stretches its heartbeat
   * period and `downAfterMs` by ceil(sites / this): each `last_seen` write reaches every replica, so the federation
   * as a whole writes about as often as a federation of this size does, not n times as often.
   */
  heartbeatSitesPerPeriod?: number;
  /** A peer's heads digest older than this says nothing about replication any more (default 30 s). */
  digestStaleMs?: number;
}

/** Membership of one site: its own `sites` record and the liveness of every peer. */
export interface Membership {
  /** Every known peer (from the `sites` records and the transport), sorted by id. */
  peers(): PeerView[];
  /** One peer, or undefined when unknown. */
  peer(id: string): PeerView | undefined;
  /** Peers down now, and since when the oldest of them is (undefined when none). */
  health(): { down: number; staleSince: number | undefined };
  /** Changes the URL published in this site's record (after listening on a picked port). */
  setUrl(url: string): Promise<void>;
  /** Writes this site's record now (also done every period). */
  heartbeat(): Promise<void>;
  stop(): void;
}

interface Contact {
  direct?: number;
  relayed?: number;
  downAt?: number;
  digest?: { value: string; at: number };
  outOfSyncSince?: number;
}

/**
 * Writes this site's own `sites` record (created once, `last_seen` refreshed every `heartbeatMs`, stretched in large
 * federations: `heartbeatSitesPerPeriod`) and derives each peer's liveness: `up` while the transport reaches it, or
 * while its relayed `last_seen` changes (partial partitions); `down` once it was heard of and is not any more, or
 * when nothing was heard of it for `downAfterMs` since start (down since start); `unknown` before that.
 */
export function startMembership(options: MembershipOptions): Membership {
  const { catalog, transport, clock, log } = options;
  const self = { ...options.self };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const downAfter = options.downAfterMs ?? heartbeatMs * 3;
  const perPeriod = Math.max(1, options.heartbeatSitesPerPeriod ?? 8);
  const digestStale = options.digestStaleMs ?? 30_000;
  /** The stretch factor of the heartbeat period and of relayed freshness (1 up to `perPeriod` known sites). */
  const stretch = (): number => Math.max(1, Math.ceil(catalog.list('sites').length / perPeriod));
  let lastBeat = Number.NEGATIVE_INFINITY;
  const contacts = new Map<string, Contact>();
  const startedAt = clock.now();
  const contactOf = (peer: string): Contact => {
    let c = contacts.get(peer);
    if (!c) {
      c = {};
      contacts.set(peer, c);
    }
    return c;
  };

  const heartbeat = async () => {
    const now = clock.now();
    lastBeat = now;
    const prev = catalog.get('sites', self.id);
    const record: Site = {
      id: self.id,
      name: self.name,
      region: self.region,
      url: self.url,
      created_at: prev?.created_at ?? now,
      last_seen: now,
    };
    await catalog.put('sites', record);
  };
  const beat = () => {
    // The timer runs every base period; the write is due once per stretched one.
    if (clock.now() - lastBeat < heartbeatMs * stretch() - heartbeatMs / 2) return;
    heartbeat().catch((err: unknown) => log.warn({ err }, 'membership: last_seen write failed'));
  };

  const offPeer = transport.onPeer((e) => {
    const c = contactOf(e.peer);
    if (e.status === 'up') {
      c.direct = clock.now();
      c.downAt = undefined;
    } else c.downAt = clock.now();
  });
  const offMessage = transport.onMessage((m) => {
    const c = contactOf(m.from);
    c.direct = clock.now();
    // Digests come announced (full mesh) or direct, alone or in a bundle (sparse overlay: neighbours and probes).
    if (m.data[0] !== FrameType.DIGEST && m.data[0] !== FrameType.BUNDLE) return;
    for (const frame of framesOf(m.data)) {
      if (frame.type === FrameType.DIGEST) c.digest = { value: json.text(frame.payload), at: clock.now() };
    }
  });
  const offCatalog = catalog.subscribe((change) => {
    if (change.collection !== 'sites' || change.origin !== 'remote' || change.id === self.id) return;
    if (change.record) contactOf(change.id).relayed = clock.now();
  });
  for (const p of transport.peers()) contactOf(p).direct = clock.now();
  const offTick = clock.every(heartbeatMs, beat);

  const view = (id: string, reachable: Set<string>, digest: string, relayedFor: number): PeerView => {
    const c = contactOf(id);
    const now = clock.now();
    const isReachable = reachable.has(id);
    if (isReachable) c.direct = now;
    const last = Math.max(c.direct ?? -1, c.relayed ?? -1);
    const relayedFresh = c.relayed !== undefined && now - c.relayed < relayedFor && c.relayed > (c.downAt ?? -1);
    let status: Liveness = 'unknown';
    if (isReachable || relayedFresh) status = 'up';
    else if (last >= 0 || c.downAt !== undefined) status = 'down';
    // Known from the catalog but silent since this site started: down once a peer would have been heard from.
    else if (now - startedAt >= downAfter) {
      status = 'down';
      c.downAt = startedAt;
    }
    let inSync: boolean | null = null;
    if (c.digest && now - c.digest.at >= digestStale) c.outOfSyncSince = undefined;
    else if (c.digest) {
      inSync = c.digest.value === digest;
      if (inSync) c.outOfSyncSince = undefined;
      else c.outOfSyncSince ??= c.digest.at;
    }
    return {
      id,
      status,
      reachable: isReachable,
      last_contact: last >= 0 ? last : null,
      down_since: status === 'down' ? (c.downAt ?? (last >= 0 ? last : null)) : null,
      replication: { in_sync: inSync, out_of_sync_since: c.outOfSyncSince ?? null, digest_at: c.digest?.at ?? null },
    };
  };
  const peers = (): PeerView[] => {
    const ids = new Set<string>([...contacts.keys(), ...catalog.list('sites').map((s) => s.id)]);
    ids.delete(self.id);
    const reachable = new Set(transport.peers());
    const digest = options.localDigest();
    const relayedFor = downAfter * stretch();
    return [...ids].sort().map((id) => view(id, reachable, digest, relayedFor));
  };

  return {
    peers,
    peer: (id) => peers().find((p) => p.id === id),
    health() {
      const down = peers().filter((p) => p.status === 'down');
      const since = down.map((p) => p.down_since ?? clock.now());
      return { down: down.length, staleSince: since.length > 0 ? Math.min(...since) : undefined };
    },
    async setUrl(url) {
      self.url = url;
      await heartbeat();
    },
    heartbeat,
    stop() {
      offTick();
      offPeer();
      offMessage();
      offCatalog();
    },
  };
}
