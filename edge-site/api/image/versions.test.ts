import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ImageHarness, imageHarness } from './testing.ts';

describe('image version documents and schemas', () => {
  let h: ImageHarness;
  beforeEach(async () => {
    h = await imageHarness();
  });
  afterEach(() => h.cleanup());

  it('serves the versions document at /image and /image/ with 300, without a token', async () => {
    for (const path of ['', '/']) {
      const res = await h.req('GET', path, { token: null });
      expect(res.status).toBe(300);
      const body = (await res.json()) as { versions: Array<{ id: string; status: string; links: unknown[] }> };
      expect(body.versions.map((v) => v.id)).toContain('v2.0');
      expect(body.versions.filter((v) => v.status === 'CURRENT')).toHaveLength(1);
      expect(body.versions[0]?.links).toEqual([{ rel: 'self', href: 'http://127.0.0.1:5000/image/v2/' }]);
    }
  });

  it('serves /image/versions with 200', async () => {
    const res = await h.req('GET', '/versions', { token: null });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { versions: unknown[] }).versions.length).toBeGreaterThan(5);
  });

  it('requires a token under /v2', async () => {
    const res = await h.req('GET', '/v2/images', { token: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: '401 Unauthorized', title: 'Unauthorized' });
  });

  it('serves the four schema documents', async () => {
    for (const name of ['image', 'images', 'member', 'members']) {
      const res = await h.req('GET', `/v2/schemas/${name}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { name: string; properties: Record<string, unknown> };
      expect(body.name).toBe(name);
    }
    const image = (await (await h.req('GET', '/v2/schemas/image')).json()) as Record<string, unknown>;
    expect(image.additionalProperties).toEqual({ type: 'string' });
    expect(Object.keys(image.properties as object)).toEqual(
      expect.arrayContaining(['id', 'name', 'status', 'visibility', 'os_hash_value', 'ramdisk_id']),
    );
  });

  it('answers unknown image paths with a Glance-shaped 404', async () => {
    const res = await h.req('GET', '/v2/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: '404 Not Found' });
  });
});
