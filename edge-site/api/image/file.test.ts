import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imageUploads } from '../../db/schema/image.ts';
import { type ImageHarness, imageHarness, T } from './testing.ts';

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const OCTET = { 'Content-Type': 'application/octet-stream' };

describe('image data', () => {
  let h: ImageHarness;
  beforeEach(async () => {
    h = await imageHarness({ maxImageBytes: 1_000_000 });
  });
  afterEach(() => h.cleanup());

  const show = async (id: string, token: string = T.alice) =>
    (await (await h.req('GET', `/v2/images/${id}`, { token })).json()) as Record<string, unknown>;
  const files = async () => readdir(join(h.dataDir, 'images')).catch(() => [] as string[]);

  it('uploads, computes size/md5/sha512, records this site, and downloads the same bytes', async () => {
    const img = await h.create();
    const data = bytes(300_000);
    const res = await h.upload(img.id, data);
    expect(res.status).toBe(204);

    const md5 = createHash('md5').update(data).digest('hex');
    const sha512 = createHash('sha512').update(data).digest('hex');
    expect(await show(img.id)).toMatchObject({
      status: 'active',
      size: 300_000,
      virtual_size: 300_000,
      checksum: md5,
      os_hash_algo: 'sha512',
      os_hash_value: sha512,
      stores: 'test',
    });
    expect(h.deps.catalog.get('images', img.id)?.locations).toEqual(['test']);
    expect(await files()).toEqual([img.id]);

    const dl = await h.req('GET', `/v2/images/${img.id}/file`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/octet-stream');
    expect(dl.headers.get('content-md5')).toBe(md5);
    expect(dl.headers.get('content-length')).toBe('300000');
    const got = new Uint8Array(await dl.arrayBuffer());
    expect(createHash('sha512').update(got).digest('hex')).toBe(sha512);
  });

  it('serves single byte ranges with 206 and ignores ranges it cannot satisfy', async () => {
    const img = await h.create();
    const data = bytes(100);
    await h.upload(img.id, data);
    const part = await h.req('GET', `/v2/images/${img.id}/file`, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/100');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(data.slice(10, 20));
    const tail = await h.req('GET', `/v2/images/${img.id}/file`, { headers: { Range: 'bytes=-5' } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(data.slice(95));
    const open = await h.req('GET', `/v2/images/${img.id}/file`, { headers: { Range: 'bytes=90-' } });
    expect(open.headers.get('content-range')).toBe('bytes 90-99/100');
    const bad = await h.req('GET', `/v2/images/${img.id}/file`, { headers: { Range: 'bytes=200-300' } });
    expect(bad.status).toBe(200);
    expect((await bad.arrayBuffer()).byteLength).toBe(100);
  });

  it('answers 204 for an image without data', async () => {
    const img = await h.create();
    const res = await h.req('GET', `/v2/images/${img.id}/file`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('refuses a second upload with 409', async () => {
    const img = await h.create();
    await h.upload(img.id, bytes(10));
    const again = await h.upload(img.id, bytes(10, 2));
    expect(again.status).toBe(409);
    expect(await show(img.id)).toMatchObject({ checksum: createHash('md5').update(bytes(10)).digest('hex') });
  });

  it('needs application/octet-stream (415)', async () => {
    const img = await h.create();
    for (const headers of [{ 'Content-Type': 'application/json' }, {}] as Array<Record<string, string>>) {
      const res = await h.req('PUT', `/v2/images/${img.id}/file`, { body: bytes(3), headers });
      expect(res.status).toBe(415);
    }
    expect(await show(img.id)).toMatchObject({ status: 'queued' });
  });

  it('needs disk and container formats before data (400)', async () => {
    const img = await h.create({ disk_format: null });
    const res = await h.upload(img.id, bytes(3));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('disk_format');
    expect(await show(img.id)).toMatchObject({ status: 'queued' });
  });

  it('refuses images over the size cap with 413, leaving the image queued and no file', async () => {
    const img = await h.create();
    const res = await h.upload(img.id, bytes(1_000_001));
    expect(res.status).toBe(413);
    expect(await show(img.id)).toMatchObject({ status: 'queued', size: null, checksum: null });
    expect(await files()).toEqual([]);
    const declared = await h.req('PUT', `/v2/images/${img.id}/file`, {
      body: bytes(3),
      headers: { ...OCTET, 'x-openstack-image-size': '2000000' },
    });
    expect(declared.status).toBe(413);
  });

  it('puts an interrupted upload back to queued and removes the partial file', async () => {
    const img = await h.create();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent < 3) {
          controller.enqueue(bytes(65_536, sent));
          sent++;
        } else {
          controller.error(new Error('connection reset'));
        }
      },
    });
    const res = await h.req('PUT', `/v2/images/${img.id}/file`, { body, headers: OCTET });
    expect(res.status).toBe(400);
    expect(await show(img.id)).toMatchObject({ status: 'queued', size: null });
    expect(await files()).toEqual([]);
    expect(await h.deps.db.db.select().from(imageUploads)).toEqual([]);
    // and the image can then be uploaded normally
    expect((await h.upload(img.id, bytes(5))).status).toBe(204);
  });

  it('rejects a body that does not match the declared size', async () => {
    const img = await h.create();
    const res = await h.req('PUT', `/v2/images/${img.id}/file`, {
      body: bytes(10),
      headers: { ...OCTET, 'x-openstack-image-size': '11' },
    });
    expect(res.status).toBe(400);
    expect(await show(img.id)).toMatchObject({ status: 'queued' });
    expect(await files()).toEqual([]);
  });

  it('applies upload/download rights: readers read only, other projects see nothing, deactivated is admin-only', async () => {
    const img = await h.create({ visibility: 'private' });
    expect((await h.upload(img.id, bytes(4), T.reader)).status).toBe(403);
    expect((await h.upload(img.id, bytes(4), T.bob)).status).toBe(404);
    await h.upload(img.id, bytes(4));
    expect((await h.req('GET', `/v2/images/${img.id}/file`, { token: T.reader })).status).toBe(200);
    expect((await h.req('GET', `/v2/images/${img.id}/file`, { token: T.bob })).status).toBe(404);
    await h.req('POST', `/v2/images/${img.id}/actions/deactivate`);
    expect((await h.req('GET', `/v2/images/${img.id}/file`)).status).toBe(403);
    expect((await h.req('GET', `/v2/images/${img.id}/file`, { token: T.admin })).status).toBe(200);
  });

  it('reads the virtual size from a qcow2 header', async () => {
    const img = await h.create({ disk_format: 'qcow2' });
    const head = new Uint8Array(512);
    head.set([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
    new DataView(head.buffer).setBigUint64(24, 1073741824n);
    await h.upload(img.id, head);
    expect(await show(img.id)).toMatchObject({ size: 512, virtual_size: 1073741824 });
  });

  it('deleting an image removes its file', async () => {
    const img = await h.create();
    await h.upload(img.id, bytes(8));
    expect(await files()).toEqual([img.id]);
    expect((await h.req('DELETE', `/v2/images/${img.id}`)).status).toBe(204);
    expect(await files()).toEqual([]);
  });

  it('at start-up, resets uploads a crash cut short', async () => {
    const img = await h.create();
    const record = h.deps.catalog.get('images', img.id);
    if (!record) throw new Error('missing');
    await h.deps.catalog.put('images', { ...record, status: 'saving' });
    const tempPath = join(h.dataDir, 'images', `${img.id}.part-x`);
    await mkdir(join(h.dataDir, 'images'), { recursive: true });
    await writeFile(tempPath, bytes(10));
    await h.deps.db.db.insert(imageUploads).values({ imageId: img.id, tempPath, startedAt: 0 });
    await h.image.start?.();
    expect(await show(img.id)).toMatchObject({ status: 'queued' });
    expect(await files()).toEqual([]);
  });
});
