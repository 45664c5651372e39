/**
 * Authenticated site-to-site messages: a Transport wrapper that seals every outgoing message (direct or
 * announcement) in a signed envelope (`envelope.ts`) and delivers an incoming one only when
 * - it parses, names the transport-level sender as its sender and this site (or everyone) as its recipient;
 * - its public key is the sender's key: the replicated one (`knownKey`, from the catalog), else one pinned this
 *   session at first contact — accepted with a valid join proof when a join secret is configured, on first use
 *   otherwise (trust model: federation/README.md);
 * - its Ed25519 signature verifies, and its (epoch, seq) was not seen before (anti-replay window).
 * Anything else is dropped, counted by reason (`authStats()`, metric `brume_federation_messages_rejected_total`)
 * and logged; it never reaches the sync engine. A libp2p inner transport is also told which key each site id must
 * have, so a peer cannot claim a known site's id at connection time (`setPeerAuthorizer`).
 */
import type { Metrics } from '../../edge-site/ops/metrics.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Transport, TransportMessage } from '../../shared/ports/transport.ts';
import type { StatsTransport, TransportStats } from '../transports/stats.ts';
import { acceptSeq, checkJoinProof, joinProof, openEnvelope, type ReplayWindow, sealEnvelope } from './envelope.ts';
import { type SiteKey, verifySignature } from './site-key.ts';

/** Why an incoming message was dropped. */
export type RejectReason =
  | 'malformed'
  | 'spoofed_sender'
  | 'misrouted'
  | 'key_mismatch'
  | 'not_introduced'
  | 'bad_signature'
  | 'replayed';

/** Counters of {@link AuthenticatedTransport.authStats}. */
export interface AuthStats {
  accepted: number;
  rejected: Partial<Record<RejectReason, number>>;
}

/** Options of {@link authenticateTransport}. */
export interface AuthenticateOptions {
  inner: Transport;
  key: SiteKey;
  clock: Clock;
  log: Logger;
  /** The replicated federation public key of a site, or undefined while the catalog does not hold it. */
  knownKey(site: string): Uint8Array | undefined;
  /** Shared join secret: a site no one knows yet is accepted only with a proof made with it. */
  joinSecret?: string;
  metrics?: Metrics;
  /** Lowest session epoch to use (a persisted counter: `session-epoch.ts`); the clock's time otherwise. */
  epoch?: number;
}

/** The wrapper: a Transport (stats pass through from the inner one) plus its verification counters. */
export interface AuthenticatedTransport extends StatsTransport {
  authStats(): AuthStats;
  /** The key this site expects from `site` (replicated or pinned), if any. */
  keyOf(site: string): Uint8Array | undefined;
}

/** A transport that can refuse connections whose authenticated key does not belong to the claimed site. */
interface PeerAuthorizing {
  setPeerAuthorizer(fn: (site: string, publicKey: Uint8Array) => boolean): void;
}

/** Last epoch used per site in this process, so a restart on a clock that did not move still starts a newer one. */
const lastEpoch = new Map<string, number>();

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Wraps `inner` so every message is signed and verified (see the module comment). */
export function authenticateTransport(options: AuthenticateOptions): AuthenticatedTransport {
  const { inner, key, log, joinSecret } = options;
  const self = inner.self;
  const epoch = Math.max(options.clock.now(), options.epoch ?? 0, (lastEpoch.get(self) ?? 0) + 1);
  lastEpoch.set(self, epoch);
  const proof = joinSecret ? joinProof(joinSecret, self, key.publicKey) : undefined;
  const seq = { direct: 0, announce: 0 };
  const windows = new Map<string, ReplayWindow>();
  const pinned = new Map<string, Uint8Array>();
  const stats: AuthStats = { accepted: 0, rejected: {} };
  const rejectedMetric = options.metrics?.counter(
    'brume_federation_messages_rejected_total',
    'Site-to-site messages dropped by authentication, by reason',
  );

  const keyOf = (site: string) => options.knownKey(site) ?? pinned.get(site);

  const reject = (reason: RejectReason, from: string) => {
    const n = (stats.rejected[reason] ?? 0) + 1;
    stats.rejected[reason] = n;
    rejectedMetric?.inc({ reason });
    if ((n & (n - 1)) === 0) log.warn({ peer: from, reason, count: n }, 'federation: message rejected (not applied)');
  };

  const seal = (channel: 'direct' | 'announce', recipient: string, payload: Uint8Array) =>
    sealEnvelope(
      {
        channel,
        sender: self,
        recipient,
        epoch,
        seq: ++seq[channel],
        publicKey: key.publicKey,
        ...(proof ? { joinProof: proof } : {}),
        payload,
      },
      key.sign,
    );

  /** The payload of an authentic message, or undefined (counted) otherwise. */
  const verify = (m: TransportMessage): Uint8Array | undefined => {
    const e = openEnvelope(m.data);
    if (!e) return void reject('malformed', m.from);
    if (e.sender !== m.from) return void reject('spoofed_sender', m.from);
    if (e.channel !== m.channel || e.recipient !== (m.channel === 'direct' ? self : '')) {
      return void reject('misrouted', m.from);
    }
    const expected = keyOf(e.sender);
    if (expected && !equal(expected, e.publicKey)) return void reject('key_mismatch', m.from);
    if (!expected && joinSecret && !(e.joinProof && checkJoinProof(joinSecret, e.sender, e.publicKey, e.joinProof))) {
      return void reject('not_introduced', m.from);
    }
    if (!verifySignature(e.publicKey, e.signed, e.signature)) return void reject('bad_signature', m.from);
    const wkey = `${e.sender}\0${e.channel}`;
    const w = acceptSeq(windows.get(wkey), e.epoch, e.seq);
    if (!w) return void reject('replayed', m.from);
    windows.set(wkey, w);
    if (!expected) {
      pinned.set(e.sender, new Uint8Array(e.publicKey));
      log.info(
        { peer: e.sender, proof: joinSecret ? 'join secret' : 'first use' },
        'federation: new site key pinned until its catalog record arrives',
      );
    }
    stats.accepted++;
    return e.payload;
  };

  const authorizing = inner as Partial<PeerAuthorizing>;
  authorizing.setPeerAuthorizer?.((site, publicKey) => {
    const expected = keyOf(site);
    return !expected || equal(expected, publicKey);
  });

  // One inner subscription: each message is verified once (a replay window must not see it twice).
  const handlers = new Set<(m: TransportMessage) => void>();
  const offInner = inner.onMessage((m) => {
    const data = verify(m);
    if (!data) return;
    const message: TransportMessage = { from: m.from, channel: m.channel, data };
    for (const h of handlers) {
      try {
        h(message);
      } catch (err) {
        log.warn({ err, peer: m.from }, 'federation: message handler failed');
      }
    }
  });

  const innerStats = (inner as Partial<StatsTransport>).stats;
  const noStats: TransportStats = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };

  return {
    self,
    peers: () => inner.peers(),
    send: (peer, data) => {
      let sealed: Uint8Array;
      try {
        sealed = seal('direct', peer, data);
      } catch (err) {
        return Promise.reject(err);
      }
      return inner.send(peer, sealed);
    },
    announce: (data) => inner.announce(seal('announce', '', data)),
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onPeer: (handler) => inner.onPeer(handler),
    close: () => {
      offInner();
      return inner.close();
    },
    stats: () => (innerStats ? innerStats.call(inner) : { ...noStats }),
    authStats: () => ({ accepted: stats.accepted, rejected: { ...stats.rejected } }),
    keyOf,
  };
}
