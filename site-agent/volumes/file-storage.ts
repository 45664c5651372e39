/**
 * Volumes as files on the agent's host (Cinder's volume service with a file backend on a storage host): sparse raw
 * files (or qcow2) named `<dir>/<name>.<format>`, created empty, copied from another volume or snapshot of the
 * host, or converted from a Glance image fetched through the host's image cache. A create writes `<file>.part` and
 * renames it, so a file that exists is complete and a create resent after an agent restart finishes the job.
 * Exports to other hosts are NBD daemons (nbd-exports.ts).
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Clock } from '../../shared/ports/clock.ts';
import type { VolumeStorage } from '../../shared/ports/hypervisor.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { VolumeNbdExport } from '../../shared/schemas/agent-protocol.ts';
import type { ImageCache } from '../drivers/qemu/image-cache.ts';
import { checkVolumeName, storageFailure, volumeMissing } from './names.ts';
import { nbdExports } from './nbd-exports.ts';

const exec = promisify(execFile);
const GiB = 1024 ** 3;

/** Options of {@link fileVolumeStorage}. */
export interface FileVolumeStorageOptions {
  /** `<agent data dir>/volumes`. */
  dir: string;
  /** The address other hosts reach this host's exports on. */
  address: string;
  imageCache: ImageCache;
  clock: Clock;
  log: Logger;
  format?: 'raw' | 'qcow2';
  qemuImg?: string;
  qemuNbd?: string;
}

/** Builds the file storage of a host. */
export function fileVolumeStorage(options: FileVolumeStorageOptions): VolumeStorage {
  const format = options.format ?? 'raw';
  const qemuImg = options.qemuImg ?? 'qemu-img';
  const fileOf = (name: string) => join(options.dir, `${checkVolumeName(name)}.${format}`);
  const exports = nbdExports({
    dir: join(options.dir, 'exports'),
    address: options.address,
    clock: options.clock,
    log: options.log,
    ...(options.qemuNbd ? { qemuNbd: options.qemuNbd } : {}),
  });
  const log = options.log.child({ component: 'volume-storage' });
  const img = async (args: string[]) => {
    await exec(qemuImg, args, { maxBuffer: 16 * 1024 * 1024 });
  };
  const exists = (path: string) =>
    stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
  const virtualSize = async (path: string): Promise<number> => {
    if (format === 'raw') return (await stat(path)).size;
    const { stdout } = await exec(qemuImg, ['info', '--output=json', '-f', 'qcow2', path]);
    return (JSON.parse(stdout) as { 'virtual-size': number })['virtual-size'];
  };
  /** Grows `path` to `sizeGiB` (never shrinks). */
  const grow = async (path: string, sizeGiB: number) => {
    if ((await virtualSize(path)) >= sizeGiB * GiB) return;
    if (format === 'qcow2') return img(['resize', '-q', '-f', 'qcow2', path, `${sizeGiB}G`]);
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(sizeGiB * GiB);
    } finally {
      await fh.close();
    }
  };

  /** Copies another host's volume from its export (TLS-PSK with the key it gave this host) into `to`. */
  const copyFromExport = async (nbd: VolumeNbdExport, to: string) => {
    const psk = await mkdtemp(join(options.dir, '.psk-'));
    try {
      await writeFile(join(psk, 'keys.psk'), `${nbd.pskIdentity}:${nbd.pskKey}\n`, { mode: 0o600 });
      await img([
        'convert',
        '-q',
        '--object',
        `tls-creds-psk,id=t0,endpoint=client,dir=${psk},username=${nbd.pskIdentity}`,
        '--image-opts',
        `driver=nbd,server.type=inet,server.host=${nbd.host},server.port=${nbd.port},export=${nbd.export},tls-creds=t0`,
        '-O',
        format,
        to,
      ]);
    } finally {
      await rm(psk, { recursive: true, force: true });
    }
  };

  return {
    async capacity() {
      await mkdir(options.dir, { recursive: true });
      const s = await statfs(options.dir);
      return {
        backend: 'file',
        pool: format,
        totalGiB: Math.floor((s.blocks * s.bsize) / GiB),
        freeGiB: Math.floor((s.bavail * s.bsize) / GiB),
        address: options.address,
      };
    },
    async create(name, sizeGiB, source) {
      const file = fileOf(name);
      if (await exists(file)) {
        await grow(file, sizeGiB);
        return { path: file, format, sizeGiB };
      }
      await mkdir(options.dir, { recursive: true });
      const part = `${file}.part`;
      await rm(part, { force: true });
      try {
        if (!source) {
          if (format === 'qcow2') await img(['create', '-q', '-f', 'qcow2', part, `${sizeGiB}G`]);
          else await (await open(part, 'wx')).close();
        } else if (source.kind === 'local') {
          const from = fileOf(source.name);
          if (!(await exists(from))) throw volumeMissing(source.name);
          await exec('cp', ['--sparse=always', '--reflink=auto', from, part]);
        } else if (source.kind === 'remote') {
          await copyFromExport(source.nbd, part);
        } else {
          const base = await options.imageCache.fetch(source.image);
          const from = source.image.diskFormat === 'qcow2' ? 'qcow2' : 'raw';
          if (from === format) await exec('cp', ['--sparse=always', '--reflink=auto', base, part]);
          else await img(['convert', '-q', '-f', from, '-O', format, base, part]);
        }
        await grow(part, sizeGiB);
        await rename(part, file);
      } catch (err) {
        await rm(part, { force: true });
        throw storageFailure('create', err);
      }
      log.info({ volume: name, sizeGiB, source: source?.kind ?? 'empty' }, 'volume created');
      return { path: file, format, sizeGiB };
    },
    async delete(name) {
      const file = fileOf(name);
      await exports.stopAll(name);
      await rm(`${file}.part`, { force: true });
      await rm(file, { force: true });
      log.info({ volume: name }, 'volume deleted');
    },
    async extend(name, sizeGiB) {
      const file = fileOf(name);
      if (!(await exists(file))) throw volumeMissing(name);
      try {
        await grow(file, sizeGiB);
      } catch (err) {
        throw storageFailure('extend', err);
      }
    },
    async export(name, client, readOnly) {
      const file = fileOf(name);
      if (!(await exists(file))) throw volumeMissing(name);
      try {
        return await exports.start(name, file, format, client, readOnly);
      } catch (err) {
        throw storageFailure('export', err);
      }
    },
    async unexport(name, client) {
      await exports.stop(name, client);
    },
    async upload(name, target) {
      const file = fileOf(name);
      if (!(await exists(file))) throw volumeMissing(name);
      const out = target.diskFormat === 'vhd' ? 'vpc' : target.diskFormat;
      const converted = `${file}.upload.${out}`;
      try {
        let source = file;
        if (out !== format) {
          await img(['convert', '-q', '-f', format, '-O', out, file, converted]);
          source = converted;
        }
        const put = await fetch(target.url, {
          method: 'PUT',
          headers: { 'x-auth-token': target.token, 'content-type': 'application/octet-stream' },
          // Large chunks: a 1 GiB volume is 256 chunks, not 16k (the default 64 KiB).
          body: Readable.toWeb(createReadStream(source, { highWaterMark: 4 * 1024 * 1024 })) as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        if (!put.ok) throw new Error(`Glance refused the bytes: ${put.status} ${await put.text()}`);
      } catch (err) {
        throw storageFailure('upload', err);
      } finally {
        await rm(converted, { force: true });
      }
    },
    async close() {},
  };
}
