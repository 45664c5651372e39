/** The volume storage contract on both storages, and what only real files show (bytes, NBD over TLS-PSK). */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createImageCache } from '../drivers/qemu/image-cache.ts';
import { isOurProcess } from '../drivers/qemu/process.ts';
import { fileVolumeStorage } from './file-storage.ts';
import { memoryVolumeStorage } from './memory-storage.ts';
import { runVolumeStorageContract } from './storage-contract.ts';

const exec = promisify(execFile);
const GiB = 1024 ** 3;
const hasQemuNbd = await exec('qemu-nbd', ['--version']).then(
  () => true,
  () => false,
);

runVolumeStorageContract('memory', {
  make: async () => memoryVolumeStorage({ host: 'h1' }),
  image: async () => ({
    kind: 'image',
    image: { id: 'img', diskFormat: 'raw', size: 5, hash: null, url: 'file:///nowhere' },
  }),
  uploaded: (bytes) => bytes === 0,
});

describe('memory volume storage', () => {
  it('keeps its volumes and exports in its state file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bvm-'));
    try {
      const stateFile = join(dir, 'fake-host-volumes.json');
      const a = memoryVolumeStorage({ stateFile });
      await a.create('volume-a', 2);
      const e = await a.export('volume-a', 'hostB', false);
      const b = memoryVolumeStorage({ stateFile });
      expect(b.volumes.get('volume-a')).toEqual({ sizeGiB: 2 });
      expect(await b.export('volume-a', 'hostB', false)).toEqual(e);
      await b.delete('volume-a');
      expect(memoryVolumeStorage({ stateFile }).volumes.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

let dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bvs-'));
  dirs.push(d);
  return d;
};
const fileStorage = (dir: string) =>
  fileVolumeStorage({
    dir: join(dir, 'volumes'),
    address: '127.0.0.1',
    imageCache: createImageCache({ dir: join(dir, 'images'), log: silentLogger }),
    clock: systemClock,
    log: silentLogger,
  });
const rawImage = (dir: string, bytes: Buffer) => {
  const file = join(dir, 'image.raw');
  writeFileSync(file, bytes);
  const hash = createHash('sha512').update(bytes).digest('hex');
  return {
    kind: 'image' as const,
    image: { id: 'img1', diskFormat: 'raw', size: bytes.length, hash, url: pathToFileURL(file).href },
  };
};
const cleanup = async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
};

describe.skipIf(!hasQemuNbd)('file volume storage', () => {
  runVolumeStorageContract('file', {
    make: async () => fileStorage(tempDir()),
    cleanup,
    image: async () => rawImage(tempDir(), Buffer.from('BRUME-IMAGE')),
    // A qcow2 of an empty volume: a header and tables, not a GiB.
    uploaded: (bytes) => bytes > 0 && bytes < 4 * 1024 * 1024,
  });

  afterEach(cleanup);

  it('keeps files under its own folder: sparse, copied with their bytes, images converted and grown', async () => {
    const dir = tempDir();
    const s = fileStorage(dir);
    const a = await s.create('volume-a', 1);
    expect(a.path).toBe(join(dir, 'volumes', 'volume-a.raw'));
    const fh = await open(a.path, 'r+');
    await fh.write('MARKER', 4096);
    await fh.close();
    const snap = await s.create('snapshot-s', 0, { kind: 'local', name: 'volume-a' });
    expect(readFileSync(snap.path).subarray(4096, 4102).toString()).toBe('MARKER');
    const img = await s.create('volume-i', 1, rawImage(dir, Buffer.from('BRUME-IMAGE')));
    expect(readFileSync(img.path).subarray(0, 11).toString()).toBe('BRUME-IMAGE');
    await s.extend('volume-i', 2);
    const { stdout } = await exec('qemu-img', ['info', '--output=json', img.path]);
    expect(JSON.parse(stdout)['virtual-size']).toBe(2 * GiB);
    await s.delete('snapshot-s');
    expect(readdirSync(join(dir, 'volumes')).sort()).toEqual(['volume-a.raw', 'volume-i.raw']);
  });

  it("copies another host's volume from an export made for the copy", async () => {
    const a = fileStorage(tempDir());
    const b = fileStorage(tempDir());
    const src = await a.create('snapshot-s', 1);
    const fh = await open(src.path, 'r+');
    await fh.write('FAR-MARKER', 8192);
    await fh.close();
    const nbd = await a.export('snapshot-s', 'copy.v1', true);
    const copy = await b.create('volume-v1', 2, { kind: 'remote', nbd });
    await a.unexport('snapshot-s', 'copy.v1');
    const read = await open(copy.path, 'r');
    const { buffer } = await read.read(Buffer.alloc(10), 0, 10, 8192);
    await read.close();
    expect(buffer.toString()).toBe('FAR-MARKER');
    const { stdout } = await exec('qemu-img', ['info', '--output=json', copy.path]);
    expect(JSON.parse(stdout)['virtual-size']).toBe(2 * GiB);
  }, 60_000);

  it('serves an export only to the attaching host (TLS-PSK), and unexport stops its qemu-nbd', async () => {
    const dir = tempDir();
    const s = fileStorage(dir);
    await s.create('volume-a', 1);
    const e = await s.export('volume-a', 'hostB', false);
    const open = async (user: string, key: string) => {
      const d = join(dir, `psk-${user}-${key.slice(0, 4)}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'keys.psk'), `${user}:${key}\n`);
      const { stdout } = await exec('qemu-img', [
        'info',
        '--output=json',
        '--object',
        `tls-creds-psk,id=t0,endpoint=client,dir=${d},username=${user}`,
        '--image-opts',
        `driver=nbd,server.type=inet,server.host=${e.host},server.port=${e.port},export=${e.export},tls-creds=t0`,
      ]);
      return JSON.parse(stdout)['virtual-size'] as number;
    };
    expect(await open('hostB', e.pskKey)).toBe(GiB);
    await expect(open('hostB', 'ab'.repeat(32))).rejects.toThrow();
    await expect(open('hostC', e.pskKey)).rejects.toThrow();
    const pid = Number(readFileSync(join(dir, 'volumes', 'exports', 'volume-a@hostB', 'qemu-nbd.pid'), 'utf8'));
    await s.unexport('volume-a', 'hostB');
    expect(await isOurProcess(pid, 'volume-a@hostB')).toBe(false);
    // Deleting a volume stops its exports too.
    const e2 = await s.export('volume-a', 'hostC', true);
    expect(e2.port).toBeGreaterThan(0);
    await s.delete('volume-a');
    expect(readdirSync(join(dir, 'volumes', 'exports'))).toEqual([]);
  }, 60_000);
});
