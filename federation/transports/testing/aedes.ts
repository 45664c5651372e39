import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** An in-process aedes broker on a loopback port (tests, benchmarks). */
export interface AedesBroker {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts aedes (port 0: a free one) with Nagle's algorithm off on its sockets: with it on, a QoS 1 publish that follows a PUBACK on the
 * same socket waits for the client's delayed ACK (~40 ms per hop).
 */
export async function startAedes(port = 0): Promise<AedesBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${bound}`,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
