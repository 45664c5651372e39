/**
 * Volume storage in memory, for the fake driver (scale tests, simulation, the API conformance runs): the same
 * commands and failure semantics as the file storage, with no bytes. Exports are bookkeeping only.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VolumeStorage } from '../../shared/ports/hypervisor.ts';
import type { VolumeNbdExport } from '../../shared/schemas/agent-protocol.ts';
import { checkClient, checkVolumeName, volumeMissing } from './names.ts';

/** What a test can look at in the memory storage. */
export interface MemoryVolumeStorage extends VolumeStorage {
  readonly volumes: ReadonlyMap<string, { sizeGiB: number; source?: string }>;
  readonly exports: ReadonlyMap<string, VolumeNbdExport>;
  /** The next call of `op` fails once. */
  failNext(op: 'create' | 'extend' | 'upload'): void;
}

/** Options: the host's name and pretend capacity. */
export interface MemoryVolumeStorageOptions {
  host?: string;
  totalGiB?: number;
  address?: string;
  /** JSON file keeping the volumes and exports across agent restarts (the fake driver's state beside it). */
  stateFile?: string;
}

/** Builds a {@link MemoryVolumeStorage}. */
export function memoryVolumeStorage(options: MemoryVolumeStorageOptions = {}): MemoryVolumeStorage {
  const totalGiB = options.totalGiB ?? 1000;
  const volumes = new Map<string, { sizeGiB: number; source?: string }>();
  const exports = new Map<string, VolumeNbdExport>();
  const file = options.stateFile;
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      volumes?: Record<string, { sizeGiB: number; source?: string }>;
      exports?: Record<string, VolumeNbdExport>;
    };
    for (const [k, v] of Object.entries(saved.volumes ?? {})) volumes.set(k, v);
    for (const [k, v] of Object.entries(saved.exports ?? {})) exports.set(k, v);
  }
  const persist = () => {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    const state = { volumes: Object.fromEntries(volumes), exports: Object.fromEntries(exports) };
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  };
  let failing: string | undefined;
  let port = 10809;
  const check = (op: string) => {
    if (failing !== op) return;
    failing = undefined;
    throw new Error(`injected ${op} failure`);
  };
  const pathOf = (name: string) => `memory://${options.host ?? 'fake'}/${name}`;
  return {
    volumes,
    exports,
    failNext(op) {
      failing = op;
    },
    async capacity() {
      const used = [...volumes.values()].reduce((n, v) => n + v.sizeGiB, 0);
      const address = options.address ?? '127.0.0.1';
      return { backend: 'memory', pool: 'memory', totalGiB, freeGiB: Math.max(totalGiB - used, 0), address };
    },
    async create(name, sizeGiB, source) {
      checkVolumeName(name);
      const existing = volumes.get(name);
      if (existing) return { path: pathOf(name), format: 'raw', sizeGiB: existing.sizeGiB };
      let from: string | undefined;
      if (source?.kind === 'local') {
        const src = volumes.get(checkVolumeName(source.name));
        if (!src) throw volumeMissing(source.name);
        from = source.name;
        sizeGiB = Math.max(sizeGiB, src.sizeGiB);
      } else if (source?.kind === 'image') {
        from = `image:${source.image.id}`;
      } else if (source?.kind === 'remote') {
        from = `nbd:${source.nbd.export}`;
      }
      check('create');
      volumes.set(name, from ? { sizeGiB, source: from } : { sizeGiB });
      persist();
      return { path: pathOf(name), format: 'raw', sizeGiB };
    },
    async delete(name) {
      checkVolumeName(name);
      volumes.delete(name);
      for (const key of [...exports.keys()]) if (key.startsWith(`${name}@`)) exports.delete(key);
      persist();
    },
    async extend(name, sizeGiB) {
      const v = volumes.get(checkVolumeName(name));
      if (!v) throw volumeMissing(name);
      check('extend');
      v.sizeGiB = Math.max(v.sizeGiB, sizeGiB);
      persist();
    },
    async export(name, client) {
      if (!volumes.has(checkVolumeName(name))) throw volumeMissing(name);
      const key = `${name}@${checkClient(client)}`;
      const known = exports.get(key);
      if (known) return known;
      const e: VolumeNbdExport = {
        host: options.address ?? '127.0.0.1',
        port: port++,
        export: key,
        pskIdentity: client,
        pskKey: '00'.repeat(32),
      };
      exports.set(key, e);
      persist();
      return e;
    },
    async unexport(name, client) {
      exports.delete(`${checkVolumeName(name)}@${checkClient(client)}`);
      persist();
    },
    async upload(name, target) {
      if (!volumes.has(checkVolumeName(name))) throw volumeMissing(name);
      check('upload');
      // No bytes to give: an empty image, so Glance's upload flow (queued → active) runs as for a real one.
      const put = await fetch(target.url, {
        method: 'PUT',
        headers: { 'x-auth-token': target.token, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(0),
      });
      if (!put.ok) throw new Error(`Glance refused the bytes: ${put.status}`);
    },
    async close() {},
  };
}
