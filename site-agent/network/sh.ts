import { spawn } from 'node:child_process';
import { BrumeError } from '../../shared/errors.ts';

/** Runs a host tool (optionally feeding `input` on stdin); a failure throws `network.plumbing_failed` with stderr. */
export function sh(binary: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (err) =>
      reject(new BrumeError('internal', 'network.plumbing_failed', `${binary}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else {
        const what = `${binary} ${args.join(' ')}`.slice(0, 200);
        reject(new BrumeError('internal', 'network.plumbing_failed', `${what} failed: ${stderr.trim() || code}`));
      }
    });
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** `sh` inside a network namespace. */
export const inNs = (ns: string, binary: string, args: string[], input?: string) =>
  sh('ip', ['netns', 'exec', ns, binary, ...args], input);

/** True when the error says the object already exists / is already gone (idempotent plumbing). */
export const alreadyThere = (err: unknown) => /exists|File exists/i.test((err as Error).message);
export const alreadyGone = (err: unknown) =>
  /Cannot find device|does not exist|No such file|not found/i.test((err as Error).message);

/**
 * Why the data plane cannot run on this host, or null when it can: it needs root, `ip netns`, nft and dnsmasq.
 * Checked once at agent start; the agent then says so in its log and keeps user-mode NICs.
 */
export async function dataPlaneUnavailable(): Promise<string | null> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the agent is not running as root';
  for (const [bin, args] of [
    ['ip', ['netns', 'list']],
    ['nft', ['--version']],
    ['dnsmasq', ['--version']],
  ] as const) {
    try {
      await sh(bin, [...args]);
    } catch (err) {
      return `${bin} is not usable: ${(err as Error).message}`;
    }
  }
  return null;
}
