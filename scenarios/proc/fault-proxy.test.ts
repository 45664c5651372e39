import { createConnection, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';

let echo: Server | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
});

async function setup(): Promise<FaultProxy> {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', () => r()));
  const addr = echo.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port }, random: () => 0.5 });
  return proxy;
}

/** Sends one line through the proxy; resolves with the echo, or 'reset' when the connection is refused/reset. */
const roundTrip = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => c.write('ping'));
    c.on('data', (d) => {
      resolve(d.toString());
      c.destroy();
    });
    c.on('error', () => resolve('reset'));
    c.on('close', () => resolve('reset'));
  });

describe('fault proxy', () => {
  it('delays each direction by the link latency', async () => {
    const p = await setup();
    p.set({ latencyMs: 60 });
    const t = performance.now();
    expect(await roundTrip(p.port)).toBe('ping');
    expect(performance.now() - t).toBeGreaterThanOrEqual(115);
  });

  it('a cut link refuses connections until healed', async () => {
    const p = await setup();
    p.block();
    expect(await roundTrip(p.port)).toBe('reset');
    p.unblock();
    expect(await roundTrip(p.port)).toBe('ping');
    expect(p.stats().resets).toBeGreaterThan(0);
  });
});
