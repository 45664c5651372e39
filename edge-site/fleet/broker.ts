import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** The site's embedded MQTT broker (aedes, in-memory persistence: sessions and QoS 1 queues live as long as the site). */
export interface EmbeddedBroker {
  /** `mqtt://host:port` with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts aedes on `host:port` (port 0 picks a free one). */
export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  // noDelay: without it every QoS 1 hop waits ~40 ms on delayed ACKs (measured with the federation transports).
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `mqtt://${hostPart}:${bound}`,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
