import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => done(port));
    });
  });
}

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

/** Path of Debian's mosquitto, if installed. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

/** Starts a mosquitto broker on a free loopback port (config in a temp dir, logs to stdout). */
export async function startMosquitto(): Promise<{ url: string; proc: Running }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'brume-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stdout',
      'log_type error',
      '',
    ].join('\n'),
  );
  const proc = startProcess(MOSQUITTO, ['-c', conf]);
  // mosquitto logs nothing on a clean start at log_type error: probe the port instead.
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return { url: `mqtt://127.0.0.1:${port}`, proc };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1', () => {
      s.end();
      done(true);
    });
    s.on('error', () => done(false));
  });
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
