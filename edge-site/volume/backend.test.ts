import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileVolumeBackend } from './backend.ts';

const GiB = 1024 ** 3;
const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'brume-vol-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('fileVolumeBackend (raw)', () => {
  it('creates sparse files of the size, extends, snapshots, clones and deletes idempotently', async () => {
    const dir = await tempDir();
    const b = fileVolumeBackend(dir);
    const path = await b.create('v1', 1);
    expect((await stat(path)).size).toBe(GiB);
    expect((await stat(path)).blocks * 512).toBeLessThan(GiB);
    await b.extend(path, 2);
    expect((await stat(path)).size).toBe(2 * GiB);
    const snap = await b.snapshot(path, 's1');
    expect((await stat(snap)).size).toBe(2 * GiB);
    const clone = await b.create('v2', 3, { path: snap, format: 'raw' });
    expect((await stat(clone)).size).toBe(3 * GiB);
    await b.delete(path);
    await b.delete(path);
    await expect(stat(path)).rejects.toThrow();
  });

  it('a failed create leaves nothing behind', async () => {
    const dir = await tempDir();
    const b = fileVolumeBackend(dir);
    await expect(b.create('v1', 1, { path: join(dir, 'missing'), format: 'raw' })).rejects.toMatchObject({
      code: 'volume.backend_failed',
    });
    await expect(stat(join(dir, 'volume-v1'))).rejects.toThrow();
  });
});
