import { createConnection, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';

let echo: Server | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
});

async function setup(random: () => number = () => 0.5): Promise<FaultProxy> {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', () => r()));
  const addr = echo.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port }, random });
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

  it('draws jitter per chunk and keeps the byte stream in order', async () => {
    let x = 1;
    const p = await setup(() => {
      x = (x * 48_271) % 2_147_483_647;
      return x / 2_147_483_647;
    });
    p.set({ latencyMs: 20, jitterMs: 20 });
    const sent = Array.from({ length: 100 }, (_, i) => `<${i}>`).join('');
    const got = await new Promise<string>((resolve) => {
      let buf = '';
      const c = createConnection({ host: '127.0.0.1', port: p.port, noDelay: true }, async () => {
        // One write per tick, so the proxy sees separate chunks with their own jitter draws.
        for (let i = 0; i < 100; i++) {
          c.write(`<${i}>`);
          await new Promise((r) => setImmediate(r));
        }
      });
      c.on('data', (d) => {
        buf += d.toString();
        if (buf.length >= sent.length) {
          c.destroy();
          resolve(buf);
        }
      });
    });
    expect(got).toBe(sent);
    expect(p.stats().chunks).toBeGreaterThan(2);
  });

  it('queues chunks behind each other at the link rate', async () => {
    // A sink noting when the last of 8,000 bytes arrives; two 4,000-byte writes 50 ms apart at 64 kbit/s (8 kB/s).
    let arrived = 0;
    const done = new Promise<number>((resolve) => {
      echo = createServer((s) =>
        s.on('data', (d) => {
          arrived += d.length;
          if (arrived >= 8000) resolve(performance.now());
        }),
      );
    });
    await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', () => r()));
    const addr = echo?.address();
    proxy = await startFaultProxy({
      target: { host: '127.0.0.1', port: typeof addr === 'object' && addr ? addr.port : 0 },
      random: () => 0.5,
    });
    proxy.set({ bandwidth: 64_000 });
    const t = performance.now();
    const c = createConnection({ host: '127.0.0.1', port: proxy.port, noDelay: true });
    c.write(Buffer.alloc(4000));
    await new Promise((r) => setTimeout(r, 50));
    c.write(Buffer.alloc(4000));
    // Each half takes 500 ms on the wire and the second waits for the first: >= 1 s, not ~550 ms.
    expect((await done) - t).toBeGreaterThanOrEqual(950);
    c.destroy();
  });
});
