/**
 * How the netns level shapes links: `tc netem` on both veth ends when the kernel has it (first choice); otherwise a
 * fault proxy inside each site's namespace on its path to the broker (latency, jitter, loss; shaper.ts), with the
 * rate by a `tbf` qdisc on both veth ends when the kernel has that, else by the proxy's bandwidth queue.
 */
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import type { ProxyLink } from '../proc/fault-proxy.ts';

/** The qdiscs usable here. */
export interface Qdiscs {
  netem: boolean;
  tbf: boolean;
}

const tryTc = (ns: string, args: string[]): boolean => {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', ...args], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Which qdiscs the kernel offers, tried on the loopback of namespace `ns`. */
export function probeQdiscs(ns: string): Qdiscs {
  return {
    netem: tryTc(ns, ['netem', 'delay', '1ms']),
    tbf: tryTc(ns, ['tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']),
  };
}

/** `tc qdisc … netem` arguments for a per-direction link. */
export const netemArgs = (l: ProxyLink): string[] => {
  const a = ['delay', `${l.latencyMs.toFixed(1)}ms`];
  if (l.jitterMs > 0) a.push(`${l.jitterMs.toFixed(1)}ms`);
  if (l.loss > 0) a.push('loss', `${(l.loss * 100).toFixed(3)}%`);
  if (l.bandwidth > 0) a.push('rate', `${Math.round(l.bandwidth / 1000)}kbit`);
  return a;
};

/**
 * `tc qdisc … tbf` arguments for `bitsPerSecond`: a bucket of at least 16 KiB or 20 ms of traffic (below one
 * veth GSO packet tbf would segment or drop), and up to 5 s of queue before dropping.
 */
export const tbfArgs = (bitsPerSecond: number): string[] => {
  const burst = Math.max(16 * 1024, Math.ceil(bitsPerSecond / 8 / 50));
  return ['tbf', 'rate', `${Math.round(bitsPerSecond)}bit`, 'burst', String(burst), 'latency', '5s'];
};

/** Sets (or removes, for 0) the tbf rate on `dev` in namespace `ns`. */
export function applyRate(ns: string, dev: string, bitsPerSecond: number): void {
  const tc = ['ip', 'netns', 'exec', ns, 'tc', 'qdisc'];
  if (bitsPerSecond > 0) {
    execFileSync(tc[0] as string, [...tc.slice(1), 'replace', 'dev', dev, 'root', ...tbfArgs(bitsPerSecond)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return;
  }
  try {
    execFileSync(tc[0] as string, [...tc.slice(1), 'del', 'dev', dev, 'root'], { stdio: 'ignore' });
  } catch {
    // No qdisc to remove.
  }
}

/** One request to a shaper's control socket (shaper.ts); resolves with its answer line. */
export function shaperRequest(socket: string, req: unknown, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket, () => c.write(`${JSON.stringify(req)}\n`));
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`shaper ${socket}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    c.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      c.end();
      const line = buf.slice(0, i);
      if (line.startsWith('error ')) reject(new Error(`shaper ${socket}: ${line.slice(6)}`));
      else resolve(line);
    });
    c.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
