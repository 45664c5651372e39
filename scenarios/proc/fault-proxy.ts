/**
 * A fault-injecting TCP proxy (one per site, between the site and the federation broker): delays every chunk by
 * the link's one-way latency (order kept), turns loss into retransmission-like stalls, and cuts the link (a
 * partition) by resetting its connections and refusing new ones until healed.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Link properties the proxy applies in each direction. */
export interface ProxyLink {
  /** One-way delay added to every chunk, ms. */
  latencyMs: number;
  /** Extra random delay in [0, jitterMs) (order is kept). */
  jitterMs: number;
  /** Probability that a chunk stalls as a lost TCP segment would (one retransmission timeout). */
  loss: number;
  /** Bits per second (0: unlimited): a chunk waits for its serialization time. */
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

/** Starts a proxy on 127.0.0.1 (or `host`) forwarding to `target`. `random` decides jitter and loss. */
export async function startFaultProxy(opts: {
  target: { host: string; port: number };
  host?: string;
  random: () => number;
}): Promise<FaultProxy> {
  const link: ProxyLink = { latencyMs: 0, jitterMs: 0, loss: 0, bandwidth: 0 };
  let blocked = false;
  const sockets = new Set<Socket>();
  const stats = { chunks: 0, bytes: 0, resets: 0 };

  /** Forwards `from` -> `to` with the link's delays, keeping order. */
  const pump = (from: Socket, to: Socket) => {
    let last = 0;
    from.on('data', (chunk: Buffer) => {
      stats.chunks++;
      stats.bytes += chunk.length;
      let delay = link.latencyMs + (link.jitterMs > 0 ? opts.random() * link.jitterMs : 0);
      if (link.loss > 0 && opts.random() < link.loss) delay += RTO_MS;
      if (link.bandwidth > 0) delay += (chunk.length * 8 * 1000) / link.bandwidth;
      const at = Math.max(performance.now() + delay, last);
      last = at;
      const wait = at - performance.now();
      if (wait <= 0.5) {
        if (!to.destroyed) to.write(chunk);
      } else {
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, wait);
      }
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
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
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
