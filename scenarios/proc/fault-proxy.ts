/**
 * A fault-injecting TCP proxy (one per site, between the site and the federation broker): delays every chunk by
 * the link's one-way latency with per-chunk jitter and bandwidth queueing (order kept), turns loss into
 * retransmission-like stalls, and cuts the link (a partition) by resetting its connections and refusing new ones
 * until healed. The netns level runs one inside each site's namespace when the kernel has no netem (netns/shaper.ts).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { deliveryTime } from '../../federation/transports/memory.ts';

/** Link properties the proxy applies in each direction. */
export interface ProxyLink {
  /** One-way delay added to every chunk, ms. */
  latencyMs: number;
  /** Each chunk's latency is drawn in [latency - jitter, latency + jitter] (as netem; order is kept). */
  jitterMs: number;
  /** Probability that a chunk stalls as a lost TCP segment would (one retransmission timeout). */
  loss: number;
  /** Bits per second (0: unlimited): a chunk waits for the chunks before it, then its own serialization time. */
  bandwidth: number;
}

/** A running proxy. */
export interface FaultProxy {
  readonly port: number;
  set(link: Partial<ProxyLink>): void;
  /** Cuts the link: resets every connection and refuses new ones. */
  block(): void;
  unblock(): void;
  stats(): { chunks: number; bytes: number; resets: number };
  close(): Promise<void>;
}

/** The stall of a "lost" chunk: Linux's minimum retransmission timeout. */
const RTO_MS = 200;

/** Starts a proxy on 127.0.0.1 (or `host`, `port`) forwarding to `target`. `random` decides jitter and loss. */
export async function startFaultProxy(opts: {
  target: { host: string; port: number };
  host?: string;
  /** Port to listen on (default: any free one). */
  port?: number;
  random: () => number;
}): Promise<FaultProxy> {
  const link: ProxyLink = { latencyMs: 0, jitterMs: 0, loss: 0, bandwidth: 0 };
  let blocked = false;
  const sockets = new Set<Socket>();
  const stats = { chunks: 0, bytes: 0, resets: 0 };

  /**
   * Forwards `from` -> `to` with the link's delays (the memory transport's model, {@link deliveryTime}): each chunk
   * waits for the direction to finish serializing earlier chunks, then takes latency plus its own jitter draw (plus
   * one RTO when "lost"), and is written in order (a chunk never overtakes an earlier one: one queue, one timer).
   */
  const pump = (from: Socket, to: Socket) => {
    const queue: { at: number; chunk: Buffer }[] = [];
    let busyUntil = 0;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drain = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && (queue[0]?.at ?? 0) <= now + 0.5) {
        const head = queue.shift();
        if (head && !to.destroyed) to.write(head.chunk);
      }
      const next = queue[0];
      if (next) timer = setTimeout(drain, Math.max(0, next.at - now));
    };
    from.on('data', (chunk: Buffer) => {
      stats.chunks++;
      stats.bytes += chunk.length;
      const now = performance.now();
      const lost = link.loss > 0 && opts.random() < link.loss;
      const at = deliveryTime(
        now,
        {
          latency: link.latencyMs + (lost ? RTO_MS : 0),
          jitter: link.jitterMs,
          bandwidth: link.bandwidth,
          bytes: chunk.length,
          random: opts.random,
        },
        { busyUntil: Math.max(busyUntil, now), lastDelivery: Math.max(last, now) },
        (b) => {
          busyUntil = b;
        },
      );
      last = at;
      queue.push({ at, chunk });
      if (timer === undefined) drain();
    });
    from.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      queue.length = 0;
    });
  };

  const server: Server = createServer({ noDelay: true }, (client) => {
    if (blocked) {
      stats.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ ...opts.target, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    pump(client, upstream);
    pump(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    set(l) {
      Object.assign(link, l);
    },
    block() {
      blocked = true;
      for (const s of sockets) {
        stats.resets++;
        s.resetAndDestroy();
      }
      sockets.clear();
    },
    unblock() {
      blocked = false;
    },
    stats: () => ({ ...stats }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
