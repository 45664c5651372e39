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

/** Properties of the link between two endpoints (both directions; each direction queues on its own). */
export interface LinkOptions {
  /** One-way latency in ms of the network's clock; 0 delivers on a microtask (the default). */
  latencyMs?: number;
  /** Probability in [0, 1] that a message is silently lost. */
  drop?: number;
  /**
   * Jitter in ms: each message's latency gets its own draw, uniform in [-jitter, +jitter] (at least 0), from the
   * network's random source, as netem does; a message still never overtakes an earlier one on its directed link.
   */
  jitterMs?: number;
  /**
   * Bits per second (0 or absent: unlimited). A message of B bytes occupies its directed link for B*8/bandwidth
   * seconds; messages sent while the link is busy queue behind it (serialization delay, then latency).
   */
  bandwidth?: number;
}

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Needed for latency, jitter or bandwidth: messages are delivered when this clock passes their deadline (a manual clock in tests). */
  clock?: Clock;
  /** Source of randomness in [0, 1) for drops and jitter (default: a fixed-seed generator, so runs repeat). */
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

/**
 * When a message sent at `now` arrives: it waits for the directed link to finish serializing earlier messages, takes
 * its own serialization time (bytes*8/bandwidth), then the latency plus a jitter draw in [-jitter, +jitter] (at least
 * 0); it never arrives before the previous message on the link (FIFO, like one TCP stream). `setBusy` records when
 * the link is free again. Exported for its unit test.
 */
export function deliveryTime(
  now: number,
  m: { latency: number; jitter: number; bandwidth: number; bytes: number; random: () => number },
  link: { busyUntil: number; lastDelivery: number },
  setBusy: (until: number) => void,
): number {
  let sent = now;
  if (m.bandwidth > 0) {
    sent = Math.max(now, link.busyUntil) + (m.bytes * 8 * 1000) / m.bandwidth;
    setBusy(sent);
  }
  const flight = m.jitter > 0 ? Math.max(0, m.latency + (2 * m.random() - 1) * m.jitter) : m.latency;
  return Math.max(sent + flight, link.lastDelivery);
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
  /** Per directed link: when its last message is delivered (FIFO) and when it is done serializing (bandwidth). */
  const lastDelivery = new Map<string, number>();
  const busyUntil = new Map<string, number>();
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

  /**
   * Runs `change`, then tells every endpoint about the peers it gained or lost. `only`: the change concerns that
   * endpoint alone (it opened or closed): only the others are told, O(n) instead of O(n²); an endpoint that opens
   * reads its peers from `peers()`.
   */
  const reachabilityChange = (change: () => void, only?: string) => {
    const pairs = (ids: string[]): [string, string][] =>
      only === undefined
        ? ids.flatMap((a) => ids.map((b): [string, string] => [a, b]))
        : ids.flatMap((x): [string, string][] => (x === only ? [] : [[x, only]]));
    const before = new Set<string>();
    for (const [a, b] of pairs([...endpoints.keys()])) if (reachable(a, b)) before.add(`${a}\u0000${b}`);
    change();
    // Ids read after the change too: an endpoint that just opened is announced to the others.
    for (const [a, b] of pairs([...endpoints.keys()])) {
      const now = reachable(a, b);
      if (now !== before.has(`${a}\u0000${b}`)) peerEvent(a, b, now ? 'up' : 'down');
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
    const key = `${from}\u0000${to}`;
    const latency = Math.max(0, link.latencyMs ?? 0);
    const jitter = Math.max(0, link.jitterMs ?? 0);
    const bandwidth = Math.max(0, link.bandwidth ?? 0);
    const clock = options.clock;
    const behind = clock !== undefined && (lastDelivery.get(key) ?? Number.NEGATIVE_INFINITY) > clock.now();
    if (latency === 0 && jitter === 0 && bandwidth === 0 && !behind) {
      inflight++;
      queueMicrotask(() => {
        inflight--;
        deliver();
      });
      return;
    }
    if (!clock) throw new Error('memory network: latency, jitter and bandwidth need a clock');
    const now = clock.now();
    const at = deliveryTime(
      now,
      { latency, jitter, bandwidth, bytes: data.byteLength, random },
      {
        busyUntil: busyUntil.get(key) ?? now,
        lastDelivery: lastDelivery.get(key) ?? now,
      },
      (b) => busyUntil.set(key, b),
    );
    lastDelivery.set(key, at);
    clock.sleep(at - now).then(deliver, deliver);
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
          }, self);
        },
      },
    };
    reachabilityChange(() => {
      endpoints.set(self, ep);
      ep.open = true;
    }, self);
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
