import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ImageHarness, imageHarness, T } from './testing.ts';

describe('image visibility', () => {
  let h: ImageHarness;
  let img: Record<'pub' | 'priv' | 'sharedPending' | 'sharedNone' | 'community', string>;

  beforeEach(async () => {
    h = await imageHarness();
    img = {
      pub: (await h.create({ name: 'pub', visibility: 'public', owner: 'p1' }, T.admin)).id,
      priv: (await h.create({ name: 'priv', visibility: 'private' })).id,
      sharedPending: (await h.create({ name: 'sp', visibility: 'shared' })).id,
      sharedNone: (await h.create({ name: 'sn', visibility: 'shared' })).id,
      community: (await h.create({ name: 'com', visibility: 'community' })).id,
    };
    const res = await h.req('POST', `/v2/images/${img.sharedPending}/members`, { json: { member: 'p2' } });
    expect(res.status).toBe(200);
  });
  afterEach(() => h.cleanup());

  const status = async (id: string, token: string) => (await h.req('GET', `/v2/images/${id}`, { token })).status;
  const listed = async (token: string, query = '') => {
    const res = await h.req('GET', `/v2/images${query}`, { token });
    expect(res.status).toBe(200);
    const names = ((await res.json()) as { images: Array<{ name: string }> }).images.map((i) => i.name);
    return names.sort();
  };

  it('GET by id: owner and admin see everything, others see public, community and shared-with-them', async () => {
    for (const id of Object.values(img)) {
      expect(await status(id, T.alice)).toBe(200);
      expect(await status(id, T.reader)).toBe(200);
      expect(await status(id, T.admin)).toBe(200);
    }
    expect(await status(img.pub, T.bob)).toBe(200);
    expect(await status(img.community, T.bob)).toBe(200);
    expect(await status(img.sharedPending, T.bob)).toBe(200);
    expect(await status(img.priv, T.bob)).toBe(404);
    expect(await status(img.sharedNone, T.bob)).toBe(404);
  });

  it('listing: community only for its owner or when asked for; shared only once accepted', async () => {
    expect(await listed(T.alice)).toEqual(['com', 'priv', 'pub', 'sn', 'sp']);
    expect(await listed(T.admin)).toEqual(['priv', 'pub', 'sn', 'sp']);
    expect(await listed(T.admin, '?visibility=all')).toEqual(['com', 'priv', 'pub', 'sn', 'sp']);
    expect(await listed(T.bob)).toEqual(['pub']);
    expect(await listed(T.bob, '?visibility=community')).toEqual(['com']);
    expect(await listed(T.bob, '?visibility=shared&member_status=pending')).toEqual(['sp']);
    expect(await listed(T.bob, '?member_status=all')).toEqual(['pub', 'sp']);

    const accept = await h.req('PUT', `/v2/images/${img.sharedPending}/members/p2`, {
      token: T.bob,
      json: { status: 'accepted' },
    });
    expect(accept.status).toBe(200);
    expect(await listed(T.bob)).toEqual(['pub', 'sp']);

    await h.req('PUT', `/v2/images/${img.sharedPending}/members/p2`, { token: T.bob, json: { status: 'rejected' } });
    expect(await listed(T.bob)).toEqual(['pub']);
    expect(await status(img.sharedPending, T.bob)).toBe(200);
  });

  it('changes: 403 on visible images of other projects, 404 on invisible ones, 403 for readers', async () => {
    const patch = (id: string, token: string) =>
      h.req('PATCH', `/v2/images/${id}`, {
        token,
        headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
        json: [{ op: 'replace', path: '/name', value: 'x' }],
      });
    expect((await patch(img.pub, T.bob)).status).toBe(403);
    expect((await patch(img.community, T.bob)).status).toBe(403);
    expect((await patch(img.priv, T.bob)).status).toBe(404);
    expect((await patch(img.priv, T.reader)).status).toBe(403);
    expect((await patch(img.priv, T.admin)).status).toBe(200);
    expect((await h.req('DELETE', `/v2/images/${img.pub}`, { token: T.bob })).status).toBe(403);
    expect((await h.req('DELETE', `/v2/images/${img.priv}`, { token: T.bob })).status).toBe(404);
    expect((await h.req('DELETE', `/v2/images/${img.priv}`, { token: T.reader })).status).toBe(403);
  });
});
