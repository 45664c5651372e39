import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../proc/fault-proxy.ts';
import { medianRoundTrip, mqttRoundTrip } from './rtt.ts';

let broker: Server | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
});

/** A stand-in broker answering any CONNECT with CONNACK (accepted); checks the CONNECT is well-formed. */
async function fakeBroker(): Promise<number> {
  broker = createServer((s) =>
    s.on('data', (d: Buffer) => {
      if (d[0] === 0x10 && d[1] === d.length - 2 && d.subarray(4, 8).toString() === 'MQTT') {
        s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      }
    }),
  );
  await new Promise<void>((r) => broker?.listen(0, '127.0.0.1', () => r()));
  const addr = broker.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

describe('RTT probe', () => {
  it('measures one MQTT round trip, including a shaped path', async () => {
    const port = await fakeBroker();
    expect(await mqttRoundTrip('127.0.0.1', port)).toBeLessThan(5000);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port }, random: () => 0.5 });
    proxy.set({ latencyMs: 40 });
    expect(await medianRoundTrip('127.0.0.1', proxy.port)).toBeGreaterThanOrEqual(78);
  });

  it('gives up on a closed port after its wait', async () => {
    const port = await fakeBroker();
    await new Promise<void>((r) => broker?.close(() => r()));
    broker = undefined;
    await expect(medianRoundTrip('127.0.0.1', port, 1, 300)).rejects.toThrow();
  });
});
