import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs the broker. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

/** A mosquitto process a test started on a free loopback port. */
export interface MosquittoProcess {
  url: string;
  port: number;
  /** Kills the broker (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>;
}

/** True when the mosquitto binary is installed. */
export const hasMosquitto = (): boolean => existsSync(MOSQUITTO);

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

/** Starts mosquitto with a generated config (no persistence file, logs to stdout, anonymous) and waits until it accepts. */
export async function startMosquitto(): Promise<MosquittoProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'brume-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'set_tcp_nodelay true',
      'persistence false',
      'log_dest stdout',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await canConnect(port)) {
      return {
        url: `mqtt://127.0.0.1:${port}`,
        port,
        async stop() {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
            await exited;
            clearTimeout(killer);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`mosquitto did not start on port ${port}: ${output}`);
}
