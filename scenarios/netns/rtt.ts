/**
 * A round-trip probe of a site's path to the federation broker: the time from an open TCP connection's MQTT
 * CONNECT to the broker's CONNACK, one round trip through whatever shapes the path (netem, or the fault proxy).
 */
import { createConnection } from 'node:net';

/** MQTT 3.1.1 CONNECT, clean session, keep-alive 60 s, client id `brume-rtt-probe`. */
const CONNECT = Buffer.from([
  0x10,
  27,
  0x00,
  0x04,
  0x4d,
  0x51,
  0x54,
  0x54,
  0x04,
  0x02,
  0x00,
  0x3c,
  0x00,
  15,
  ...Buffer.from('brume-rtt-probe'),
]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** One CONNECT→CONNACK round trip to `host:port`, in ms (rejects on error or after `timeoutMs`). */
export function mqttRoundTrip(host: string, port: number, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host, port, noDelay: true });
    let started = 0;
    const timer = setTimeout(
      () => fail(new Error(`no CONNACK from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      c.destroy();
      reject(err);
    };
    c.on('connect', () => {
      started = performance.now();
      c.write(CONNECT);
    });
    c.on('data', (d: Buffer) => {
      if (d[0] !== 0x20) return fail(new Error(`not a CONNACK from ${host}:${port}`));
      const ms = performance.now() - started;
      clearTimeout(timer);
      c.end(DISCONNECT);
      resolve(ms);
    });
    c.on('error', fail);
    c.on('close', () => fail(new Error(`${host}:${port} closed the connection`)));
  });
}

/** The median of `n` round trips, retrying refused connections (a broker still starting) for up to `waitMs`. */
export async function medianRoundTrip(host: string, port: number, n = 3, waitMs = 10_000): Promise<number> {
  const deadline = performance.now() + waitMs;
  const samples: number[] = [];
  while (samples.length < n) {
    try {
      samples.push(await mqttRoundTrip(host, port));
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(n / 2)] as number;
}
