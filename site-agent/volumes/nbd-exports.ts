/**
 * NBD exports of volume files to the site's other hosts: one `qemu-nbd` daemon per (volume, attaching host), bound
 * to the host's storage address, requiring TLS with a pre-shared key generated per export whose only identity is
 * the attaching host's name (so the export is authenticated and bound to that host). A daemon outlives an agent
 * restart; its folder (`<dir>/<name>@<client>/`: export.json, pidfile, psk/keys.psk) is the record, so exporting
 * again returns the same export and unexporting finds the daemon.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { VolumeNbdExport } from '../../shared/schemas/agent-protocol.ts';
import { isOurProcess, readPid, signal } from '../drivers/qemu/process.ts';
import { checkClient, checkVolumeName } from './names.ts';

/** Options of {@link nbdExports}. */
export interface NbdExportsOptions {
  /** Folder of the export records. */
  dir: string;
  /** Address the daemons listen on (loopback in tests). */
  address: string;
  clock: Clock;
  log: Logger;
  qemuNbd?: string;
}

/** The exports of one host. */
export interface NbdExports {
  start(
    name: string,
    file: string,
    format: 'raw' | 'qcow2',
    client: string,
    readOnly: boolean,
  ): Promise<VolumeNbdExport>;
  stop(name: string, client: string): Promise<void>;
  /** Stops every export of `name` (before the file is deleted). */
  stopAll(name: string): Promise<void>;
  /** Export records of this host (`<name>@<client>`). */
  list(): Promise<string[]>;
}

/** A free TCP port on `address` (the daemon binds it right after; a lost race is retried). */
async function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `qemu-nbd --fork`: resolves when the parent exits (the daemon is then serving). */
function runForked(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.once('error', reject);
    // 'exit', not 'close': the daemon may hold the stderr pipe after the parent is gone.
    child.once('exit', (code) => {
      child.stderr.destroy();
      child.unref();
      if (code === 0) resolve();
      else reject(new Error(`${binary} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Builds the exports of a host. */
export function nbdExports(options: NbdExportsOptions): NbdExports {
  const qemuNbd = options.qemuNbd ?? 'qemu-nbd';
  const recordDir = (name: string, client: string) =>
    join(options.dir, `${checkVolumeName(name)}@${checkClient(client)}`);

  const live = async (dir: string): Promise<number | null> => {
    const pid = await readPid(join(dir, 'qemu-nbd.pid'));
    return pid !== null && (await isOurProcess(pid, dir)) ? pid : null;
  };

  const stopDir = async (dir: string) => {
    const pid = await live(dir);
    if (pid !== null) {
      signal(pid, 'SIGTERM');
      const deadline = options.clock.now() + 5_000;
      while (await isOurProcess(pid, dir)) {
        if (options.clock.now() > deadline) {
          signal(pid, 'SIGKILL');
          break;
        }
        await options.clock.sleep(50);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  return {
    async start(name, file, format, client, readOnly) {
      const dir = recordDir(name, client);
      if ((await live(dir)) !== null) {
        const known = await readFile(join(dir, 'export.json'), 'utf8').catch(() => undefined);
        if (known) return JSON.parse(known) as VolumeNbdExport;
      }
      await stopDir(dir);
      await mkdir(join(dir, 'psk'), { recursive: true });
      const key = randomBytes(32).toString('hex');
      await writeFile(join(dir, 'psk', 'keys.psk'), `${client}:${key}\n`, { mode: 0o600 });
      const exportName = `${name}@${client}`;
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freePortOn(options.address);
        const args = [
          '--fork',
          '--persistent',
          '--shared=4',
          '-f',
          format,
          ...(readOnly ? ['--read-only'] : []),
          '-x',
          exportName,
          '-b',
          options.address,
          '-p',
          String(port),
          '--pid-file',
          join(dir, 'qemu-nbd.pid'),
          '--object',
          `tls-creds-psk,id=tls0,endpoint=server,dir=${join(dir, 'psk')}`,
          '--tls-creds',
          'tls0',
          file,
        ];
        try {
          await runForked(qemuNbd, args);
        } catch (err) {
          lastError = err;
          continue;
        }
        const e: VolumeNbdExport = {
          host: options.address,
          port,
          export: exportName,
          pskIdentity: client,
          pskKey: key,
        };
        await writeFile(join(dir, 'export.json'), JSON.stringify(e), { mode: 0o600 });
        options.log.info({ volume: name, client, port }, 'volume exported');
        return e;
      }
      await rm(dir, { recursive: true, force: true });
      throw lastError instanceof Error ? lastError : new Error(String(lastError));
    },
    async stop(name, client) {
      await stopDir(recordDir(name, client));
      options.log.info({ volume: name, client }, 'volume export stopped');
    },
    async stopAll(name) {
      for (const entry of await readdir(options.dir).catch(() => [])) {
        if (entry.startsWith(`${checkVolumeName(name)}@`)) await stopDir(join(options.dir, entry));
      }
    },
    async list() {
      return readdir(options.dir).catch(() => []);
    },
  };
}
