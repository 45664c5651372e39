import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ImageHarness, imageHarness, T } from './testing.ts';

const PATCH21 = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };
const PATCH20 = { 'Content-Type': 'application/openstack-images-v2.0-json-patch' };

describe('image records', () => {
  let h: ImageHarness;
  beforeEach(async () => {
    h = await imageHarness();
  });
  afterEach(() => h.cleanup());

  const ids = async (query: string, token: string = T.alice) => {
    const res = await h.req('GET', `/v2/images${query}`, { token });
    expect(res.status).toBe(200);
    return ((await res.json()) as { images: Array<{ id: string }> }).images.map((i) => i.id);
  };

  describe('create', () => {
    it('creates a queued, shared image owned by the caller with every Glance field', async () => {
      const res = await h.req('POST', '/v2/images', {
        json: { name: 'cirros', disk_format: 'qcow2', container_format: 'bare', tags: ['a', 'a', 'b'], os_distro: 'x' },
      });
      expect(res.status).toBe(201);
      const img = (await res.json()) as Record<string, unknown>;
      expect(res.headers.get('location')).toBe(`http://127.0.0.1:5000/image/v2/images/${img.id}`);
      expect(img).toMatchObject({
        name: 'cirros',
        status: 'queued',
        visibility: 'shared',
        owner: 'p1',
        protected: false,
        os_hidden: false,
        min_disk: 0,
        min_ram: 0,
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        tags: ['a', 'b'],
        os_distro: 'x',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
        self: `/v2/images/${img.id}`,
        file: `/v2/images/${img.id}/file`,
        schema: '/v2/schemas/image',
      });
      expect(img).not.toHaveProperty('locations');
    });

    it('accepts a client-given id and refuses a duplicate with 409', async () => {
      const id = '00000000-1111-2222-3333-444455556666';
      expect((await h.create({ id })).id).toBe(id);
      const again = await h.req('POST', '/v2/images', { json: { id } });
      expect(again.status).toBe(409);
    });

    it.each([
      [{ disk_format: 'wrong' }, 400],
      [{ container_format: 'wrong' }, 400],
      [{ min_ram: -1 }, 400],
      [{ protected: 'yes' }, 400],
      [{ id: 'not-a-uuid' }, 400],
      [{ name: 'x'.repeat(256) }, 400],
      [{ custom: 5 }, 400],
      [{ ramdisk_id: 'nope' }, 400],
      [{ status: 'active' }, 403],
      [{ checksum: 'x' }, 403],
      [{ self: '/x' }, 403],
      [{ os_glance_foo: 'bar' }, 403],
      [{ deleted: 'x' }, 403],
      [{ visibility: 'public' }, 403],
      [{ owner: 'p2' }, 403],
    ])('rejects %j with %i', async (fields, status) => {
      const res = await h.req('POST', '/v2/images', { json: { name: 'x', ...fields } });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code: expect.stringMatching(new RegExp(`^${status} `)) });
    });

    it('rejects malformed JSON and non-object bodies with 400', async () => {
      expect(
        (await h.req('POST', '/v2/images', { body: '{', headers: { 'Content-Type': 'application/json' } })).status,
      ).toBe(400);
      expect((await h.req('POST', '/v2/images', { json: [1] })).status).toBe(400);
      expect((await h.req('POST', '/v2/images', {})).status).toBe(400);
    });

    it('lets an admin create public images for any owner, and a reader create nothing', async () => {
      const img = await h.create({ visibility: 'public', owner: 'p9' }, T.admin);
      expect(img).toMatchObject({ visibility: 'public', owner: 'p9' });
      expect((await h.req('POST', '/v2/images', { token: T.reader, json: { name: 'r' } })).status).toBe(403);
    });

    it('accepts null kernel_id/ramdisk_id as unset', async () => {
      const img = await h.create({ kernel_id: null, ramdisk_id: '00000000-1111-2222-3333-444455556666' });
      expect(img).not.toHaveProperty('kernel_id');
      expect(img.ramdisk_id).toBe('00000000-1111-2222-3333-444455556666');
    });
  });

  describe('show', () => {
    it('shows an image and 404s names and unknown ids (the CLI looks names up by id first)', async () => {
      const img = await h.create({ name: 'cirros' });
      const res = await h.req('GET', `/v2/images/${img.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(img);
      expect((await h.req('GET', '/v2/images/cirros')).status).toBe(404);
      const missing = await h.req('GET', '/v2/images/11111111-2222-3333-4444-555555555555');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: '404 Not Found', title: 'Not Found' });
      expect((await h.req('GET', '/v2/images/')).status).toBe(404);
    });
  });

  describe('list', () => {
    it('filters by name, status, visibility, owner, tag, formats, size range and hidden', async () => {
      const a = await h.create({ name: 'a', tags: ['t1'], disk_format: 'qcow2' });
      h.deps.clock.advance(1000);
      const b = await h.create({ name: 'b', visibility: 'private', container_format: 'ovf', tags: ['t1', 't2'] });
      h.deps.clock.advance(1000);
      const hidden = await h.create({ name: 'h', os_hidden: true });
      await h.upload(b.id, new Uint8Array(100));

      expect(await ids('')).toEqual([b.id, a.id]);
      expect(await ids('?name=a')).toEqual([a.id]);
      expect(await ids(`?name=in:a,b`)).toEqual([b.id, a.id]);
      expect(await ids('?status=active')).toEqual([b.id]);
      expect(await ids('?visibility=private')).toEqual([b.id]);
      expect(await ids('?visibility=shared')).toEqual([a.id]);
      expect(await ids('?owner=p1')).toEqual([b.id, a.id]);
      expect(await ids('?tag=t1&tag=t2')).toEqual([b.id]);
      expect(await ids('?disk_format=qcow2')).toEqual([a.id]);
      expect(await ids('?container_format=ovf')).toEqual([b.id]);
      expect(await ids('?size_min=50&size_max=150')).toEqual([b.id]);
      expect(await ids('?size_min=101')).toEqual([]);
      expect(await ids('?os_hidden=true')).toEqual([hidden.id]);
      expect(await ids('?protected=false')).toEqual([b.id, a.id]);
    });

    it('filters on extra properties', async () => {
      const a = await h.create({ os_distro: 'ubuntu' });
      await h.create({ os_distro: 'debian' });
      expect(await ids('?os_distro=ubuntu')).toEqual([a.id]);
    });

    it('sorts by sort_key/sort_dir and sort=', async () => {
      const small = await h.create({ name: 'small' });
      const big = await h.create({ name: 'big' });
      await h.upload(small.id, new Uint8Array(10));
      await h.upload(big.id, new Uint8Array(20));
      expect(await ids('?sort_key=size&sort_dir=desc')).toEqual([big.id, small.id]);
      expect(await ids('?sort=size:asc')).toEqual([small.id, big.id]);
      expect(await ids('?sort=name:asc')).toEqual([big.id, small.id]);
    });

    it('pages with limit and marker, with first/next/schema links', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) {
        made.unshift((await h.create({ name: `i${i}` })).id);
        h.deps.clock.advance(1000);
      }
      const seen: string[] = [];
      let url: string | undefined = '/v2/images?limit=2';
      let pages = 0;
      while (url) {
        const res = await h.req('GET', url);
        const body = (await res.json()) as {
          images: Array<{ id: string }>;
          next?: string;
          first: string;
          schema: string;
        };
        expect(body.schema).toBe('/v2/schemas/images');
        expect(body.first).toBe('/v2/images?limit=2');
        seen.push(...body.images.map((i) => i.id));
        url = body.next;
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(made);
      expect(await ids('?limit=1')).toHaveLength(1);
    });

    it.each([
      '?limit=x',
      '?limit=-1',
      '?sort_key=owner',
      '?sort_dir=up',
      '?sort=name&sort_key=name',
      '?visibility=everyone',
      '?member_status=maybe',
      '?os_hidden=maybe',
      '?size_min=big',
      '?marker=11111111-2222-3333-4444-555555555555',
      '?changes-since=2020-01-01',
      '?created_at=gt:yesterday',
    ])('rejects %s with 400', async (q) => {
      expect((await h.req('GET', `/v2/images${q}`)).status).toBe(400);
    });
  });

  describe('patch', () => {
    it('replaces, adds and removes core and extra properties (v2.1 patch)', async () => {
      const img = await h.create({ name: 'old' });
      h.deps.clock.advance(5000);
      const res = await h.req('PATCH', `/v2/images/${img.id}`, {
        headers: PATCH21,
        json: [
          { op: 'replace', path: '/name', value: 'new' },
          { op: 'add', path: '/os_distro', value: 'cirros' },
          { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
          { op: 'replace', path: '/min_ram', value: 512 },
          { op: 'replace', path: '/tags', value: ['x', 'y'] },
          { op: 'replace', path: '/visibility', value: 'community' },
          { op: 'remove', path: '/hw_disk_bus' },
        ],
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        name: 'new',
        os_distro: 'cirros',
        min_ram: 512,
        tags: ['x', 'y'],
        visibility: 'community',
        updated_at: '2026-01-01T00:00:05Z',
        created_at: '2026-01-01T00:00:00Z',
      });
      expect(body).not.toHaveProperty('hw_disk_bus');
      expect(await (await h.req('GET', `/v2/images/${img.id}`)).json()).toEqual(body);
    });

    it('understands the v2.0 patch dialect (what Tempest sends)', async () => {
      const img = await h.create();
      const res = await h.req('PATCH', `/v2/images/${img.id}`, {
        headers: PATCH20,
        json: [
          { replace: '/name', value: 'renamed' },
          { add: '/foo', value: 'bar' },
        ],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: 'renamed', foo: 'bar' });
      const dup = await h.req('PATCH', `/v2/images/${img.id}`, {
        headers: PATCH20,
        json: [{ add: '/foo', value: 'x' }],
      });
      expect(dup.status).toBe(409);
    });

    it.each([
      [[{ op: 'replace', path: '/status', value: 'active' }], 403],
      [[{ op: 'replace', path: '/id', value: 'x' }], 403],
      [[{ op: 'add', path: '/os_glance_x', value: 'x' }], 403],
      [[{ op: 'remove', path: '/name' }], 403],
      [[{ op: 'replace', path: '/owner', value: 'p2' }], 403],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], 403],
      [[{ op: 'remove', path: '/nope' }], 409],
      [[{ op: 'replace', path: '/nope', value: 'x' }], 409],
      [[{ op: 'replace', path: '/name/x', value: 'x' }], 400],
      [[{ op: 'replace', path: 'name', value: 'x' }], 400],
      [[{ op: 'move', path: '/name', value: 'x' }], 400],
      [[{ path: '/name', value: 'x' }], 400],
      [[{ op: 'replace', path: '/name' }], 400],
      [[{ op: 'replace', path: '/min_disk', value: 'big' }], 400],
      [[{ op: 'add', path: '/prop', value: 5 }], 400],
      [[{ op: 'replace', path: '/disk_format', value: 'floppy' }], 400],
      [{ op: 'replace' }, 400],
      [['x'], 400],
    ])('answers %j with %i and changes nothing', async (patch, status) => {
      const img = await h.create();
      const res = await h.req('PATCH', `/v2/images/${img.id}`, { headers: PATCH21, json: patch });
      expect(res.status).toBe(status);
      expect(await (await h.req('GET', `/v2/images/${img.id}`)).json()).toEqual(img);
    });

    it('needs a patch media type (415)', async () => {
      const img = await h.create();
      const res = await h.req('PATCH', `/v2/images/${img.id}`, {
        json: [{ op: 'replace', path: '/name', value: 'x' }],
      });
      expect(res.status).toBe(415);
    });

    it('locks disk and container formats once data is uploaded', async () => {
      const img = await h.create();
      await h.upload(img.id, new Uint8Array([1, 2, 3]));
      const res = await h.req('PATCH', `/v2/images/${img.id}`, {
        headers: PATCH21,
        json: [{ op: 'replace', path: '/disk_format', value: 'qcow2' }],
      });
      expect(res.status).toBe(403);
    });

    it('lets an admin change the owner and publicize', async () => {
      const img = await h.create();
      const res = await h.req('PATCH', `/v2/images/${img.id}`, {
        token: T.admin,
        headers: PATCH21,
        json: [
          { op: 'replace', path: '/owner', value: 'p2' },
          { op: 'replace', path: '/visibility', value: 'public' },
        ],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ owner: 'p2', visibility: 'public' });
    });
  });

  describe('delete, tags, deactivation', () => {
    it('deletes (204), then 404s; protected images are 403 until unprotected', async () => {
      const img = await h.create({ protected: true });
      expect((await h.req('DELETE', `/v2/images/${img.id}`)).status).toBe(403);
      await h.req('PATCH', `/v2/images/${img.id}`, {
        headers: PATCH21,
        json: [{ op: 'replace', path: '/protected', value: false }],
      });
      expect((await h.req('DELETE', `/v2/images/${img.id}`)).status).toBe(204);
      expect((await h.req('GET', `/v2/images/${img.id}`)).status).toBe(404);
      expect((await h.req('DELETE', `/v2/images/${img.id}`)).status).toBe(404);
      expect(await ids('')).not.toContain(img.id);
    });

    it('adds and removes tags', async () => {
      const img = await h.create();
      expect((await h.req('PUT', `/v2/images/${img.id}/tags/blue%20sky`)).status).toBe(204);
      expect((await h.req('PUT', `/v2/images/${img.id}/tags/blue%20sky`)).status).toBe(204);
      expect(((await (await h.req('GET', `/v2/images/${img.id}`)).json()) as { tags: string[] }).tags).toEqual([
        'blue sky',
      ]);
      expect((await h.req('DELETE', `/v2/images/${img.id}/tags/blue%20sky`)).status).toBe(204);
      expect((await h.req('DELETE', `/v2/images/${img.id}/tags/blue%20sky`)).status).toBe(404);
      expect((await h.req('PUT', '/v2/images/11111111-2222-3333-4444-555555555555/tags/x')).status).toBe(404);
    });

    it('deactivates and reactivates active images only', async () => {
      const img = await h.create();
      expect((await h.req('POST', `/v2/images/${img.id}/actions/deactivate`)).status).toBe(403);
      await h.upload(img.id, new Uint8Array([9]));
      expect((await h.req('POST', `/v2/images/${img.id}/actions/deactivate`)).status).toBe(204);
      expect(await (await h.req('GET', `/v2/images/${img.id}`)).json()).toMatchObject({ status: 'deactivated' });
      expect((await h.req('POST', `/v2/images/${img.id}/actions/reactivate`)).status).toBe(204);
      expect(await (await h.req('GET', `/v2/images/${img.id}`)).json()).toMatchObject({ status: 'active' });
    });
  });
});
