/** Child processes for multi-process tests and benchmarks (free ports and mosquitto: shared/testing/mosquitto.ts). */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { freePort } from '../../shared/testing/mosquitto.ts';

export { freePort };

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** A child process whose output is collected; `stop()` sends SIGTERM then SIGKILL after a grace period. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output (stdout+stderr), or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `command args` with output captured. */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    output: () => out,
    waitFor(re, ms = 30_000) {
      return new Promise((done, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            done(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${re} in output:\n${out.slice(-3000)}`));
        }, ms);
        waiters.add(check);
        child.once('exit', () => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited (${child.exitCode}) before ${re}:\n${out.slice(-3000)}`));
          }
        });
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      return new Promise((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          done(code);
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** The `brume` CLI run with this repo's Node. */
/**
 * `wrangler dev` serving the global API Worker on 127.0.0.1:`port` in front of `sitesUrl`, offline: no metrics and
 * no `cf.json` lookups, so nothing leaves loopback.
 */
export async function startWranglerDev(port: number, sitesUrl: string): Promise<Running> {
  const wrangler = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  return startProcess(
    process.execPath,
    [wrangler, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort())].concat(
      ['--var', `BRUME_GLOBAL_SITES:${sitesUrl}`, '--log-level', 'warn', '--show-interactive-dev-session=false'],
    ),
    { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  );
}

export function startBrume(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  return startProcess(process.execPath, [join(repoRoot, 'edge-site', 'cli.ts'), ...args], env);
}

/** Runs a command, resolving with stdout; rejects with stdout+stderr on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<string> {
  return new Promise((done, reject) => {
    execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else done(stdout);
      },
    );
  });
}

/** The `export OS_…=…` lines `brume up` prints, as an environment for the `openstack` CLI. */
export function parseExports(out: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/^export (OS_[A-Z_]+)=(.*)$/gm)) if (m[1] && m[2] !== undefined) env[m[1]] = m[2];
  return env;
}

/** Polls `check` every 500 ms until it is true; rejects naming `what` after `seconds`. */
export async function until(what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Why real-VM end-to-end tests cannot run here (no `openstack` CLI or no QEMU), or undefined when they can. */
export function realVmMissing(): string | undefined {
  if (!existsSync('/usr/bin/openstack')) return 'openstack CLI not installed (apt-get install python3-openstackclient)';
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'qemu-system-x86_64 not installed (apt-get install qemu-system-x86 qemu-utils)';
  }
  return undefined;
}
