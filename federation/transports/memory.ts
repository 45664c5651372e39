import { BrumeError, badRequest } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { type Logger, silentLogger } from '../../shared/ports/logger.ts';
import {
  MAX_ANNOUNCE_BYTES,
  MAX_MESSAGE_BYTES,
  type PeerEvent,
  type Transport,
  type TransportMessage,
} from '../../shared/ports/transport.ts';

/** Properties of the link between two endpoints (both directions). */
export interface LinkOptions {
  /** One-way latency in ms of the network's clock; 0 delivers on a microtask (the default). */
  latencyMs?: number;
  /** Probability in [0, 1] that a message is silently lost. */
  drop?: number;
}

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Needed for latency > 0: messages are delivered when this clock passes their deadline (a manual clock in tests). */
  clock?: Clock;
  /** Source of randomness in [0, 1) for drops (default: a fixed-seed generator, so runs repeat). */
  random?: () => number;
  /** Defaults for every link. */
  defaults?: LinkOptions;
  log?: Logger;
}

/** Counters of a {@link MemoryNetwork}. */
export interface MemoryNetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  bytes: number;
}

/** An in-process network of {@link Transport} endpoints with latency, loss and partitions (simulation, tests). */
export interface MemoryNetwork {
  /** A new endpoint named `id` (a site id), reachable by every endpoint in its partition group. */
  endpoint(id: string): Transport;
  /** Sets the properties of the link between `a` and `b`. */
  link(a: string, b: string, options: LinkOptions): void;
  /** Splits the network: endpoints talk only within their group; endpoints in no group are isolated. */
  partition(groups: readonly (readonly string[])[]): void;
  /** Ends every partition. */
  heal(): void;
  /**
   * Resolves once no message is due: every latency-0 message, and everything its handlers sent in turn, has been
   * delivered. Messages waiting on the clock stay pending until the clock is advanced (then settle again).
   */
  settle(): Promise<void>;
  stats(): MemoryNetworkStats;
}

interface Endpoint {
  transport: Transport;
  messageHandlers: Set<(m: TransportMessage) => void>;
  peerHandlers: Set<(e: PeerEvent) => void>;
  open: boolean;
}

/** A small deterministic generator in [0, 1) (xorshift32). */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * Creates a memory network. Delivery never uses real timers: latency 0 goes through microtasks and other latencies
 * through the given clock, so tests are deterministic (automerge-repo's lesson about flaky timer-based tests).
 * Per-link order is kept: a message is never delivered before one sent earlier on the same link.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const log = options.log ?? silentLogger;
  const random = options.random ?? seeded(1);
  const endpoints = new Map<string, Endpoint>();
  const links = new Map<string, LinkOptions>();
  const lastDelivery = new Map<string, number>();
  let groups: Map<string, number> | undefined;
  /** Messages due on a microtask (latency 0); clock-delayed ones are not counted until the clock fires. */
  let inflight = 0;
  const stats: MemoryNetworkStats = { sent: 0, delivered: 0, dropped: 0, bytes: 0 };

  const reachable = (a: string, b: string): boolean => {
    if (a === b || !endpoints.get(a)?.open || !endpoints.get(b)?.open) return false;
    if (!groups) return true;
    const ga = groups.get(a);
    return ga !== undefined && ga === groups.get(b);
  };
  const linkOf = (a: string, b: string): LinkOptions => ({ ...options.defaults, ...links.get(pairKey(a, b)) });

  const call = <T>(handlers: Set<(x: T) => void>, x: T) => {
    for (const h of [...handlers]) {
      try {
        h(x);
      } catch (err) {
        log.error({ err }, 'memory transport: handler threw');
      }
    }
  };

  const peerEvent = (to: string, peer: string, status: PeerEvent['status']) => {
    queueMicrotask(() => {
      const ep = endpoints.get(to);
      if (ep?.open) call(ep.peerHandlers, { peer, status });
    });
  };

  /** Runs `change`, then tells every endpoint about the peers it gained or lost. */
  const reachabilityChange = (change: () => void) => {
    const ids = [...endpoints.keys()];
    const before = new Set<string>();
    for (const a of ids) for (const b of ids) if (reachable(a, b)) before.add(`${a}\u0000${b}`);
    change();
    for (const a of ids) {
      for (const b of ids) {
        const now = reachable(a, b);
        const was = before.has(`${a}\u0000${b}`);
        if (now !== was) peerEvent(a, b, now ? 'up' : 'down');
      }
    }
  };

  const transmit = (from: string, to: string, data: Uint8Array, channel: TransportMessage['channel']) => {
    const link = linkOf(from, to);
    stats.sent++;
    stats.bytes += data.byteLength;
    const drop = link.drop ?? 0;
    if (drop >= 1 || (drop > 0 && random() < drop)) {
      stats.dropped++;
      return;
    }
    const copy = data.slice();
    const deliver = () => {
      const ep = endpoints.get(to);
      if (!ep?.open || !reachable(from, to)) {
        stats.dropped++;
        return;
      }
      stats.delivered++;
      call(ep.messageHandlers, { from, data: copy, channel });
    };
    const latency = link.latencyMs ?? 0;
    if (latency <= 0) {
      inflight++;
      queueMicrotask(() => {
        inflight--;
        deliver();
      });
      return;
    }
    const clock = options.clock;
    if (!clock) throw new Error('memory network: latency needs a clock');
    const key = `${from}\u0000${to}`;
    const at = Math.max(clock.now() + latency, lastDelivery.get(key) ?? 0);
    lastDelivery.set(key, at);
    clock.sleep(at - clock.now()).then(deliver, deliver);
  };

  const unavailable = (code: string, message: string) =>
    new BrumeError('unavailable', code, message, { retryable: true });

  const endpoint = (self: string): Transport => {
    if (endpoints.get(self)?.open) throw new Error(`memory network: endpoint ${self} already open`);
    const ep: Endpoint = {
      messageHandlers: new Set(),
      peerHandlers: new Set(),
      open: false,
      transport: {
        self,
        peers: () => [...endpoints.keys()].filter((p) => reachable(self, p)),
        async send(peer, data) {
          if (!ep.open) throw unavailable('transport.closed', `endpoint ${self} is closed`);
          if (!reachable(self, peer)) throw unavailable('transport.peer_unreachable', `peer ${peer} is unreachable`);
          if (data.byteLength > MAX_MESSAGE_BYTES) {
            throw badRequest('transport.message_too_large', `message of ${data.byteLength} bytes`);
          }
          transmit(self, peer, data, 'direct');
        },
        announce(data) {
          if (data.byteLength > MAX_ANNOUNCE_BYTES) {
            throw badRequest('transport.announce_too_large', `announcement of ${data.byteLength} bytes`);
          }
          if (!ep.open) return;
          for (const peer of endpoints.keys()) if (reachable(self, peer)) transmit(self, peer, data, 'announce');
        },
        onMessage(handler) {
          ep.messageHandlers.add(handler);
          return () => ep.messageHandlers.delete(handler);
        },
        onPeer(handler) {
          ep.peerHandlers.add(handler);
          return () => ep.peerHandlers.delete(handler);
        },
        async close() {
          if (!ep.open) return;
          reachabilityChange(() => {
            ep.open = false;
          });
        },
      },
    };
    reachabilityChange(() => {
      endpoints.set(self, ep);
      ep.open = true;
    });
    return ep.transport;
  };

  return {
    endpoint,
    link(a, b, opts) {
      links.set(pairKey(a, b), { ...links.get(pairKey(a, b)), ...opts });
    },
    partition(gs) {
      reachabilityChange(() => {
        groups = new Map();
        for (const [i, g] of gs.entries()) for (const id of g) groups.set(id, i);
      });
    },
    heal() {
      reachabilityChange(() => {
        groups = undefined;
      });
    },
    async settle() {
      do {
        await new Promise<void>((resolve) => setImmediate(resolve));
      } while (inflight > 0);
    },
    stats: () => ({ ...stats }),
  };
}
