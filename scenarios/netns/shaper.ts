/**
 * `node shaper.ts CONTROL_SOCKET LISTEN_PORT TARGET_HOST TARGET_PORT SEED`: run inside a site's namespace when the
 * kernel has no netem. It is the site's path to the federation broker: a fault proxy (netns fidelity with the proc
 * level's shaping: latency, per-chunk jitter, loss stalls, bandwidth queue) on 127.0.0.1:LISTEN_PORT forwarding to
 * the broker. The runner (outside every namespace) drives it through a unix socket, one JSON line per request:
 * `{"set": {latencyMs, jitterMs, loss, bandwidth}}` → `ok`; `{"probe": {"host", "port"}}` → `rtt MS` (an MQTT
 * CONNECT→CONNACK round trip). Anything else → `error MESSAGE`.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { startFaultProxy } from '../proc/fault-proxy.ts';
import { seededRandom } from '../sim/links.ts';
import { medianRoundTrip } from './rtt.ts';

const [control, listenPort, targetHost, targetPort, seed] = process.argv.slice(2);
if (!control || !listenPort || !targetHost || !targetPort) {
  process.stderr.write('usage: shaper.ts CONTROL_SOCKET LISTEN_PORT TARGET_HOST TARGET_PORT [SEED]\n');
  process.exit(2);
}
const proxy = await startFaultProxy({
  target: { host: targetHost, port: Number(targetPort) },
  port: Number(listenPort),
  random: seededRandom(Number(seed ?? 1)),
});

const answer = async (line: string): Promise<string> => {
  try {
    const req = JSON.parse(line) as { set?: Record<string, number>; probe?: { host: string; port: number } };
    if (req.set) {
      proxy.set(req.set);
      return 'ok';
    }
    if (req.probe) return `rtt ${(await medianRoundTrip(req.probe.host, req.probe.port)).toFixed(1)}`;
    return 'error unknown request';
  } catch (err) {
    return `error ${(err as Error).message.replace(/\n/g, ' ')}`;
  }
};

rmSync(control, { force: true });
const server = createServer((c) => {
  let buf = '';
  c.on('data', (d) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      void answer(line).then((a) => c.write(`${a}\n`));
    }
  });
  c.on('error', () => c.destroy());
});
server.listen(control, () => process.stdout.write(`shaper on 127.0.0.1:${proxy.port}, control ${control}\n`));
const stop = () => {
  server.close();
  void proxy.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
