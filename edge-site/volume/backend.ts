/**
 * The storage behind volumes: a small port with a file implementation (sparse raw files, or qcow2 through
 * `qemu-img`, under `<dataDir>/volumes/`) and a fake for tests. A site whose agents keep volumes uses the agent
 * backend (agent-backend.ts: each volume on one host, like cinder-volume on a storage host); this file backend is
 * the site-folder storage of a site without such agents, and reads the volumes created there before.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrumeError } from '../../shared/errors.ts';
import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';

const run = promisify(execFile);
const GiB = 1024 ** 3;
/** Copies keeping holes (a sparse 1 GiB volume stays a few KiB on disk) and sharing blocks where the fs can. */
const copySparse = (from: string, to: string) => run('cp', ['--sparse=always', '--reflink=auto', from, to]);

/** Where a new volume's bytes come from. */
export interface VolumeSource {
  /** A file to copy (an image file, a snapshot, another volume). */
  path: string;
  /** Its format (`raw`, `qcow2`, …); converted to the backend's format when they differ. */
  format: string;
  /** A Glance image, for backends whose hosts fetch it themselves (`path` is then the site's own copy). */
  image?: NonNullable<InstanceSpec['image']>;
}

/** Where a new volume should go (host names; ignored by single-place backends). */
export interface VolumePlacement {
  /** Preferred host (boot from volume: the server's). */
  prefer?: string;
  /** Only these hosts (same_host hint). */
  only?: string[];
  /** Not these hosts (different_host hint). */
  avoid?: string[];
}

/**
 * Volume storage. Failure semantics: a failed `create`/`snapshot` leaves nothing behind; `delete` of a missing
 * handle succeeds; `extend` never shrinks. Handles are opaque strings (a path for the file backend).
 */
export interface VolumeBackend {
  /** `raw` or `qcow2`: the format of the handles it creates (what a hypervisor attaches). */
  readonly format: string;
  /** `placement` may be computed lazily (asked only by backends that choose among hosts). */
  create(
    id: string,
    sizeGiB: number,
    from?: VolumeSource,
    placement?: VolumePlacement | (() => Promise<VolumePlacement>),
  ): Promise<string>;
  delete(handle: string): Promise<void>;
  extend(handle: string, sizeGiB: number): Promise<void>;
  /** Copies `handle` to a new snapshot handle named after `snapshotId`. */
  snapshot(handle: string, snapshotId: string): Promise<string>;
  /**
   * Optional: writes the bytes into a Glance image (`PUT url`); resolves false when `handle` is not this
   * backend's to upload (the caller then reads a local file).
   */
  upload?(handle: string, target: { url: string; token: string; diskFormat: string }): Promise<boolean>;
  /**
   * Optional: moves a volume's bytes to `host` (a root disk must be local to its server) and returns the new
   * handle; the old copy is deleted. Resolves null when the handle is not this backend's or cannot move there.
   */
  relocate?(handle: string, host: string, sizeGiB: number): Promise<string | null>;
}

function failure(op: string, err: unknown): BrumeError {
  const message = err instanceof Error ? err.message : String(err);
  return new BrumeError('internal', 'volume.backend_failed', `Volume backend ${op} failed: ${message}`, { cause: err });
}

/** Sparse raw files (default) or qcow2 images under `dir`. */
export function fileVolumeBackend(dir: string, format: 'raw' | 'qcow2' = 'raw'): VolumeBackend {
  const pathOf = (name: string) => join(dir, name);
  const resize = async (path: string, sizeGiB: number) => {
    if (format === 'qcow2') {
      await run('qemu-img', ['resize', '-f', 'qcow2', path, `${sizeGiB}G`]);
      return;
    }
    const fh = await open(path, 'r+');
    try {
      const { size } = await fh.stat();
      if (size < sizeGiB * GiB) await fh.truncate(sizeGiB * GiB);
    } finally {
      await fh.close();
    }
  };
  return {
    format,
    async create(id, sizeGiB, from) {
      await mkdir(dir, { recursive: true });
      const path = pathOf(`volume-${id}`);
      try {
        if (!from) {
          if (format === 'qcow2') await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${sizeGiB}G`]);
          else await (await open(path, 'wx')).close();
        } else if (from.format === format) {
          await copySparse(from.path, path);
        } else {
          await run('qemu-img', ['convert', '-q', '-f', from.format, '-O', format, from.path, path]);
        }
        await resize(path, sizeGiB);
        return path;
      } catch (err) {
        await rm(path, { force: true });
        throw failure('create', err);
      }
    },
    async delete(handle) {
      await rm(handle, { force: true });
    },
    async extend(handle, sizeGiB) {
      try {
        await resize(handle, sizeGiB);
      } catch (err) {
        throw failure('extend', err);
      }
    },
    async snapshot(handle, snapshotId) {
      await mkdir(dir, { recursive: true });
      const path = pathOf(`snapshot-${snapshotId}`);
      try {
        await stat(handle);
        await copySparse(handle, path);
        return path;
      } catch (err) {
        await rm(path, { force: true });
        throw failure('snapshot', err);
      }
    },
  };
}

/** An in-memory backend: handles are names, sizes are remembered; `failNext` injects one failure. */
export interface FakeVolumeBackend extends VolumeBackend {
  readonly volumes: Map<string, { sizeGiB: number; from?: string }>;
  failNext(op: 'create' | 'extend' | 'snapshot'): void;
}

/** Builds a {@link FakeVolumeBackend}. */
export function fakeVolumeBackend(): FakeVolumeBackend {
  const volumes = new Map<string, { sizeGiB: number; from?: string }>();
  let failing: string | undefined;
  const check = (op: string) => {
    if (failing === op) {
      failing = undefined;
      throw failure(op, new Error('injected failure'));
    }
  };
  return {
    format: 'raw',
    volumes,
    failNext(op) {
      failing = op;
    },
    async create(id, sizeGiB, from) {
      check('create');
      const handle = `fake://volume-${id}`;
      volumes.set(handle, from ? { sizeGiB, from: from.path } : { sizeGiB });
      return handle;
    },
    async delete(handle) {
      volumes.delete(handle);
    },
    async extend(handle, sizeGiB) {
      check('extend');
      const v = volumes.get(handle);
      if (v) v.sizeGiB = Math.max(v.sizeGiB, sizeGiB);
    },
    async snapshot(handle, snapshotId) {
      check('snapshot');
      const v = volumes.get(handle);
      const out = `fake://snapshot-${snapshotId}`;
      volumes.set(out, { sizeGiB: v?.sizeGiB ?? 0, from: handle });
      return out;
    },
  };
}
