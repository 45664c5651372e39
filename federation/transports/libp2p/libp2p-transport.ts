/**
 * The libp2p transport: TCP + noise + yamux (+ identify, ping), direct messages over one long-lived
 * `/brume/sync/1.0.0` stream per peer and direction (length-prefixed frames, writes wait for `drain`), gossipsub for
 * small announcements only (it has no backpressure). Peers are named by site id: the dialer's first frame (HELLO)
 * and the listener's answer (ACK) carry both site ids, listen addresses and the peers each side knows (peer
 * exchange), so a newcomer that knows one bootstrap address dials everyone else. A peer is `up` once our outbound
 * stream to it is acknowledged and `down` when that stream closes; then it is redialled with exponential backoff
 * (and at once when the peer dials us again).
 */
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Connection, Stream } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import {
  MAX_ANNOUNCE_BYTES,
  MAX_MESSAGE_BYTES,
  type PeerEvent,
  type TransportMessage,
} from '../../../shared/ports/transport.ts';
import type { StatsTransport } from '../stats.ts';
import {
  asHello,
  asPeerInfo,
  type Chunk,
  Frame,
  FrameDecoder,
  type FrameType,
  frameHeader,
  type Hello,
  jsonBytes,
  type PeerInfo,
  parseJson,
} from './frames.ts';
import { generatePeerKey, peerKeyFromBytes } from './peer-key.ts';

/** The direct-message stream protocol. */
export const SYNC_PROTOCOL = '/brume/sync/1.0.0';
/** The gossipsub topic of announcements. */
export const ANNOUNCE_TOPIC = 'brume/fed/v1/announce';
/** Writes are cut in pieces of this size so `drain` is awaited within a large message. */
const WRITE_CHUNK = 64 * 1024;

/** Options of {@link createLibp2pTransport}. */
export interface Libp2pTransportOptions {
  siteId: string;
  /** Listen multiaddr (default `/ip4/127.0.0.1/tcp/0`). */
  listen?: string;
  /** Multiaddrs of one or more peers to join through (with or without `/p2p/<peer id>`). */
  bootstrap?: readonly string[];
  /** Persisted libp2p private key (protobuf bytes, see `loadOrCreatePeerKey`); a fresh key when omitted. */
  privateKey?: Uint8Array;
  clock: Clock;
  log: Logger;
  /** Redial backoff after a failure: doubles from `minMs` up to `maxMs` (defaults 100 ms, 5 s). */
  backoff?: { minMs?: number; maxMs?: number };
  /** How long a dial waits for the peer's ACK (default 5 s). */
  handshakeTimeoutMs?: number;
}

/** A libp2p endpoint: a Transport plus its addresses. */
export interface Libp2pTransport extends StatsTransport {
  /** This node's libp2p peer id. */
  readonly peerId: string;
  /** Addresses peers can dial (each ends with `/p2p/<peer id>`): give one to newcomers as `bootstrap`. */
  multiaddrs(): string[];
  /** Sites whose announcements this node can receive now (gossipsub subscribers of the topic), for tests. */
  announceReach(): string[];
  /**
   * Fault injection (tests, drills): refuses every connection with these sites and hangs up on them, as a network
   * partition would; `[]` heals (the redial loops reconnect).
   */
  setBlocked(sites: readonly string[]): Promise<void>;
  /** This node's private key (libp2p protobuf bytes): the site's federation signing key is the same key. */
  identityKey(): Uint8Array;
  /**
   * Installs the check of a peer's claimed site id against its noise-authenticated Ed25519 public key: a HELLO or
   * ACK whose site the check refuses is rejected and the stream reset (authenticated-transport.ts installs it).
   */
  setPeerAuthorizer(fn: (site: string, publicKey: Uint8Array) => boolean): void;
}

interface Outbound {
  stream: Stream;
  tail: Promise<void>;
}

/** Someone to keep an outbound stream to: keyed by peer id, or by address until a bootstrap dial tells its id. */
interface Target {
  key: string;
  peerId?: string;
  addrs: string[];
  site?: string;
  out?: Outbound;
  connecting: boolean;
  wake?: () => void;
  poked: boolean;
}

const unavailable = (code: string, message: string) =>
  new BrumeError('unavailable', code, message, { retryable: true });

/** Starts a libp2p node for `siteId` and joins the federation through `bootstrap`. */
export async function createLibp2pTransport(options: Libp2pTransportOptions): Promise<Libp2pTransport> {
  const { siteId: self, clock } = options;
  const log = options.log.child({ module: 'transport.libp2p', site: self });
  const minMs = options.backoff?.minMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 5000;
  const handshakeMs = options.handshakeTimeoutMs ?? 5000;
  const handshakeGraceMs = 1000;
  const siteOfPeer = new Map<string, string>();
  let blocked = new Set<string>();
  const isBlocked = (peerId: string): boolean => {
    const site = siteOfPeer.get(peerId);
    return site !== undefined && blocked.has(site);
  };
  const keyBytes = options.privateKey ?? (await generatePeerKey());
  let authorizePeer: (site: string, publicKey: Uint8Array) => boolean = () => true;
  const authorized = (site: string, peerId: string): boolean => {
    const raw = peerIdFromString(peerId).publicKey?.raw;
    const ok = raw !== undefined && authorizePeer(site, raw);
    if (!ok) log.warn({ peer: site, peerId }, 'libp2p transport: peer key is not the site key; refused');
    return ok;
  };
  const node = await createLibp2p({
    privateKey: peerKeyFromBytes(keyBytes),
    addresses: { listen: [options.listen ?? '/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Sites may share a host (tests, a lab): the per-host inbound rate limit (default 5/s) would reset their dials.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
    connectionGater: {
      denyDialPeer: (peer) => isBlocked(peer.toString()),
      denyInboundEncryptedConnection: (peer) => isBlocked(peer.toString()),
      denyOutboundEncryptedConnection: (peer) => isBlocked(peer.toString()),
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, floodPublish: true, emitSelf: false }),
    },
  });
  const selfId = node.peerId.toString();
  const targets = new Map<string, Target>();
  const sites = new Map<string, Target>();
  const messageHandlers = new Set<(m: TransportMessage) => void>();
  const peerHandlers = new Set<(e: PeerEvent) => void>();
  const stats = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };
  let closed = false;

  const call = <T>(handlers: Set<(x: T) => void>, x: T) => {
    for (const h of [...handlers]) {
      try {
        h(x);
      } catch (err) {
        log.error({ err }, 'libp2p transport: handler threw');
      }
    }
  };
  const deliver = (m: TransportMessage) => {
    if (closed) return;
    stats.received++;
    stats.bytesReceived += m.data.byteLength;
    call(messageHandlers, m);
  };
  const multiaddrs = () => node.getMultiaddrs().map((a) => a.toString());
  const upPeers = (): PeerInfo[] =>
    [...sites.values()].flatMap((t) => (t.peerId && t.site ? [{ site: t.site, id: t.peerId, addrs: t.addrs }] : []));
  const hello = (): Hello => ({ site: self, id: selfId, addrs: multiaddrs(), peers: upPeers() });

  /** Writes one frame, waiting for `drain` whenever the stream's buffer is full. */
  const writeFrame = async (stream: Stream, type: FrameType, payload: Uint8Array) => {
    const header = frameHeader(type, payload.byteLength);
    const parts: Uint8Array[] = [];
    if (payload.byteLength <= WRITE_CHUNK) {
      // One write (one yamux frame, one noise record) for a small frame.
      const whole = new Uint8Array(header.byteLength + payload.byteLength);
      whole.set(header);
      whole.set(payload, header.byteLength);
      parts.push(whole);
    } else {
      parts.push(header);
      for (let at = 0; at < payload.byteLength; at += WRITE_CHUNK) parts.push(payload.subarray(at, at + WRITE_CHUNK));
    }
    for (const part of parts) {
      if (stream.writableNeedsDrain) await stream.onDrain();
      if (stream.writeStatus !== 'writable') throw new Error(`stream ${stream.writeStatus}`);
      stream.send(part);
      stats.bytesSent += part.byteLength;
    }
  };
  /** Queues a frame on a peer's outbound stream (frames never interleave); rejects if the stream breaks. */
  const enqueue = (out: Outbound, type: FrameType, payload: Uint8Array): Promise<void> => {
    const done = out.tail.then(() => writeFrame(out.stream, type, payload));
    out.tail = done.catch(() => {});
    return done;
  };

  const targetFor = (peerId: string, addrs: string[] = []): Target => {
    let t = targets.get(peerId);
    if (!t) {
      t = { key: peerId, peerId, addrs, connecting: false, poked: false };
      targets.set(peerId, t);
    } else if (!t.out && addrs.length > 0) {
      t.addrs = addrs;
    }
    return t;
  };
  const poke = (t: Target) => {
    if (t.wake) t.wake();
    else t.poked = true;
  };
  const sleepOrWake = (t: Target, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (t.poked || closed) {
        t.poked = false;
        resolve(true);
        return;
      }
      t.wake = () => {
        t.wake = undefined;
        resolve(true);
      };
      void clock.sleep(ms).then(() => {
        if (!t.wake) return;
        t.wake = undefined;
        resolve(false);
      });
    });

  const learn = (peers: readonly PeerInfo[]) => {
    for (const p of peers) {
      if (p.id === selfId || p.site === self || closed) continue;
      const t = targetFor(p.id, p.addrs);
      t.site ??= p.site;
      // Of two sites that learn about each other, the smaller id dials; the other waits for its HELLO (then opens
      // its own stream on that connection), dialling itself only after a grace period: half the handshakes.
      if (!t.out) void connectLoop(t, self < p.site ? 0 : handshakeGraceMs);
    }
  };

  const markDown = (t: Target, out: Outbound) => {
    if (t.out !== out) return;
    t.out = undefined;
    const site = t.site;
    if (site && sites.get(site) === t) {
      sites.delete(site);
      if (!closed) {
        log.info({ peer: site }, 'libp2p transport: peer down');
        call(peerHandlers, { peer: site, status: 'down' });
      }
    }
    if (!closed && targets.get(t.key) === t) void connectLoop(t);
  };

  /** Dials `t`, says HELLO, waits for the ACK; then the peer is up. */
  const openOutbound = async (t: Target) => {
    if (t.peerId === selfId) return;
    const existing = t.peerId
      ? node.getConnections(peerIdFromString(t.peerId)).find((c) => c.status === 'open')
      : undefined;
    const conn: Connection = existing ?? (await node.dial(t.addrs.map((a) => multiaddr(a))));
    const peerId = conn.remotePeer.toString();
    if (peerId === selfId) {
      targets.delete(t.key);
      return;
    }
    if (t.peerId !== peerId) {
      // A bootstrap address answered: from now on the peer is tracked by its id (its loop reuses this connection).
      targets.delete(t.key);
      const known = targetFor(peerId, t.addrs);
      if (!known.out) void connectLoop(known);
      return;
    }
    const canonical = t;
    if (canonical.out || closed) return;
    const stream = await conn.newStream(SYNC_PROTOCOL);
    const out: Outbound = { stream, tail: Promise.resolve() };
    const decoder = new FrameDecoder();
    const ack = new Promise<Hello>((resolve, reject) => {
      stream.addEventListener('message', (e) => {
        try {
          for (const f of decoder.push(e.data as Chunk)) {
            const h = f.type === Frame.ACK ? asHello(parseJson(f.payload)) : undefined;
            if (h) resolve(h);
          }
        } catch (err) {
          stream.abort(err instanceof Error ? err : new Error(String(err)));
        }
      });
      stream.addEventListener('close', () => {
        reject(new Error('stream closed before ACK'));
        markDown(canonical, out);
      });
      void clock.sleep(handshakeMs).then(() => reject(new Error('no ACK in time')));
    });
    await writeFrame(stream, Frame.HELLO, jsonBytes(hello()));
    let h: Hello;
    try {
      h = await ack;
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (closed || canonical.out || h.site === self || h.id !== peerId || !authorized(h.site, peerId)) {
      await stream.close().catch(() => {});
      return;
    }
    const previous = sites.get(h.site);
    if (previous && previous !== canonical && previous.out) previous.out.stream.abort(new Error('site moved'));
    canonical.out = out;
    canonical.site = h.site;
    canonical.addrs = h.addrs.length > 0 ? h.addrs : canonical.addrs;
    siteOfPeer.set(peerId, h.site);
    sites.set(h.site, canonical);
    log.info({ peer: h.site }, 'libp2p transport: peer up');
    call(peerHandlers, { peer: h.site, status: 'up' });
    const news = jsonBytes([{ site: h.site, id: peerId, addrs: canonical.addrs }]);
    for (const other of sites.values()) {
      if (other !== canonical && other.out) enqueue(other.out, Frame.PEERS, news).catch(() => {});
    }
    learn(h.peers);
  };

  async function connectLoop(t: Target, firstDelayMs = 0): Promise<void> {
    if (t.connecting || closed) return;
    t.connecting = true;
    let delay = minMs;
    try {
      if (firstDelayMs > 0) await sleepOrWake(t, firstDelayMs);
      while (!closed && !t.out && targets.get(t.key) === t) {
        try {
          await openOutbound(t);
        } catch (err) {
          log.debug({ err, peer: t.site ?? t.key }, 'libp2p transport: dial failed');
        }
        if (closed || t.out || targets.get(t.key) !== t) break;
        const woken = await sleepOrWake(t, delay);
        delay = woken ? minMs : Math.min(delay * 2, maxMs);
      }
    } finally {
      t.connecting = false;
    }
  }

  await node.handle(
    SYNC_PROTOCOL,
    (stream, connection) => {
      const remote = connection.remotePeer.toString();
      const decoder = new FrameDecoder();
      let site: string | undefined;
      stream.addEventListener('message', (e) => {
        try {
          for (const f of decoder.push(e.data as Chunk)) {
            if (site === undefined) {
              const h = f.type === Frame.HELLO ? asHello(parseJson(f.payload)) : undefined;
              if (!h || h.id !== remote || h.site === self || blocked.has(h.site) || !authorized(h.site, remote)) {
                throw new Error('bad HELLO');
              }
              site = h.site;
              siteOfPeer.set(remote, h.site);
              void writeFrame(stream, Frame.ACK, jsonBytes(hello())).catch(() => {});
              const t = targetFor(remote, h.addrs);
              t.site = h.site;
              if (!t.out) {
                poke(t);
                void connectLoop(t);
              }
              learn(h.peers);
            } else if (f.type === Frame.DATA) {
              deliver({ from: site, data: f.payload, channel: 'direct' });
            } else if (f.type === Frame.PEERS) {
              const list = parseJson(f.payload);
              if (Array.isArray(list)) learn(list.map(asPeerInfo).filter((p): p is PeerInfo => p !== undefined));
            }
          }
        } catch (err) {
          log.warn({ err, peer: site ?? remote }, 'libp2p transport: bad frame; stream reset');
          stream.abort(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    { maxInboundStreams: 4 },
  );

  const pubsub = node.services.pubsub;
  pubsub.subscribe(ANNOUNCE_TOPIC);
  pubsub.addEventListener('message', (e) => {
    const msg = e.detail;
    if (msg.topic !== ANNOUNCE_TOPIC || msg.type !== 'signed') return;
    const from = siteOfPeer.get(msg.from.toString());
    if (from === undefined || from === self) return;
    deliver({ from, data: msg.data, channel: 'announce' });
  });
  node.addEventListener('peer:disconnect', (e) => {
    const t = targets.get(e.detail.toString());
    if (t?.out) t.out.stream.abort(new Error('peer disconnected'));
  });

  for (const addr of options.bootstrap ?? []) {
    const key = `addr:${addr}`;
    const t: Target = { key, addrs: [addr], connecting: false, poked: false };
    targets.set(key, t);
    void connectLoop(t);
  }

  return {
    self,
    peerId: selfId,
    multiaddrs,
    peers: () => [...sites.keys()],
    announceReach: () =>
      pubsub.getSubscribers(ANNOUNCE_TOPIC).flatMap((p) => {
        const s = siteOfPeer.get(p.toString());
        return s === undefined ? [] : [s];
      }),
    stats: () => ({ ...stats }),
    identityKey: () => keyBytes,
    setPeerAuthorizer(fn) {
      authorizePeer = fn;
    },
    async setBlocked(list) {
      blocked = new Set(list);
      for (const [peerId, site] of siteOfPeer) {
        if (blocked.has(site)) await node.hangUp(peerIdFromString(peerId)).catch(() => {});
      }
      for (const t of targets.values()) {
        if (t.site && !blocked.has(t.site) && !t.out) {
          poke(t);
          void connectLoop(t);
        }
      }
    },
    async send(peer, data) {
      if (closed) throw unavailable('transport.closed', `endpoint ${self} is closed`);
      if (data.byteLength > MAX_MESSAGE_BYTES) {
        throw badRequest('transport.message_too_large', `message of ${data.byteLength} bytes`);
      }
      const out = sites.get(peer)?.out;
      if (!out) throw unavailable('transport.peer_unreachable', `peer ${peer} is unreachable`);
      stats.sent++;
      try {
        await enqueue(out, Frame.DATA, data);
      } catch (err) {
        throw unavailable(closed ? 'transport.closed' : 'transport.peer_unreachable', `send to ${peer} failed: ${err}`);
      }
    },
    announce(data) {
      if (data.byteLength > MAX_ANNOUNCE_BYTES) {
        throw badRequest('transport.announce_too_large', `announcement of ${data.byteLength} bytes`);
      }
      if (closed) return;
      stats.sent++;
      stats.bytesSent += data.byteLength * pubsub.getSubscribers(ANNOUNCE_TOPIC).length; // flood publish: one copy each
      pubsub.publish(ANNOUNCE_TOPIC, data).catch((err: unknown) => {
        log.debug({ err }, 'libp2p transport: announce failed');
      });
    },
    onMessage(handler) {
      messageHandlers.add(handler);
      return () => messageHandlers.delete(handler);
    },
    onPeer(handler) {
      peerHandlers.add(handler);
      return () => peerHandlers.delete(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of targets.values()) poke(t);
      sites.clear();
      await node.stop();
    },
  };
}
