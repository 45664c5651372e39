/** Child processes for multi-process tests and benchmarks (free ports and mosquitto: shared/testing/mosquitto.ts). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export { freePort } from '../../shared/testing/mosquitto.ts';

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
