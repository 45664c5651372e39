/**
 * The global API on Node (`brume global`, and `brume up` starts one in front of its sites): the same app as the
 * Worker, served by @hono/node-server, reaching sites with Node's fetch.
 */
import { type ServerType, serve } from '@hono/node-server';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { type Logger, silentLogger } from '../../shared/ports/logger.ts';
import { createGlobalApp, type GlobalState } from './app.ts';
import type { GlobalConfig } from './config.ts';

/** A listening global API. */
export interface GlobalServer {
  url: string;
  state: GlobalState;
  close(): Promise<void>;
}

/** Starts the global API on `host:port` (0 picks a free port). */
export async function startGlobalServer(opts: {
  config: GlobalConfig;
  host: string;
  port: number;
  clock?: Clock;
  log?: Logger;
}): Promise<GlobalServer> {
  const clock = opts.clock ?? systemClock;
  const { app, state } = createGlobalApp({
    config: opts.config,
    fetch: (req) => fetch(req),
    now: () => clock.now(),
    log: (opts.log ?? silentLogger).child({ service: 'brume-global' }),
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  // Links follow the request's origin unless a public URL is configured.
  const url = opts.config.publicUrl ?? `http://${opts.host}:${port}`;
  return {
    url,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
