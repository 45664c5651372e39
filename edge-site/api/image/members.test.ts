import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ImageHarness, imageHarness, T } from './testing.ts';

describe('image members', () => {
  let h: ImageHarness;
  let id: string;
  beforeEach(async () => {
    h = await imageHarness();
    id = (await h.create({ visibility: 'shared' })).id;
  });
  afterEach(() => h.cleanup());

  const add = (member: unknown, token: string = T.alice, image = id) =>
    h.req('POST', `/v2/images/${image}/members`, { token, json: { member } });

  it('adds a pending member and shows it to the owner and to the member', async () => {
    const res = await add('p2');
    expect(res.status).toBe(200);
    const member = await res.json();
    expect(member).toEqual({
      member_id: 'p2',
      image_id: id,
      status: 'pending',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      schema: '/v2/schemas/member',
    });
    expect(await (await h.req('GET', `/v2/images/${id}/members/p2`)).json()).toEqual(member);
    expect(await (await h.req('GET', `/v2/images/${id}/members/p2`, { token: T.bob })).json()).toEqual(member);
    const list = await h.req('GET', `/v2/images/${id}/members`);
    expect(await list.json()).toEqual({ members: [member], schema: '/v2/schemas/members' });
  });

  it('refuses duplicates (409), bad bodies (400), non-shared images and non-owners (403)', async () => {
    await add('p2');
    expect((await add('p2')).status).toBe(409);
    expect((await add('')).status).toBe(400);
    expect((await add(7)).status).toBe(400);
    expect((await h.req('POST', `/v2/images/${id}/members`, { json: {} })).status).toBe(400);
    expect((await h.req('POST', `/v2/images/${id}/members`, {})).status).toBe(400);
    expect((await add('p3', T.bob)).status).toBe(403);
    expect((await add('p3', T.reader)).status).toBe(403);
    const priv = (await h.create({ visibility: 'private' })).id;
    expect((await add('p2', T.alice, priv)).status).toBe(403);
    expect((await h.req('GET', `/v2/images/${priv}/members`)).status).toBe(403);
    expect((await add('p2', T.alice, '11111111-2222-3333-4444-555555555555')).status).toBe(404);
  });

  it('only the member changes its status, to a valid value', async () => {
    await add('p2');
    const set = (status: unknown, token: string) =>
      h.req('PUT', `/v2/images/${id}/members/p2`, { token, json: { status } });
    expect((await set('accepted', T.alice)).status).toBe(403);
    expect((await set('notavalidstatus', T.bob)).status).toBe(400);
    h.deps.clock.advance(2000);
    const ok = await set('accepted', T.bob);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'accepted', updated_at: '2026-01-01T00:00:02Z' });
    expect(
      (await h.req('PUT', `/v2/images/${id}/members/p3`, { token: T.admin, json: { status: 'accepted' } })).status,
    ).toBe(404);
  });

  it('members see only their own entry; strangers see no image', async () => {
    await add('p2');
    await add('p4');
    const asBob = (await (await h.req('GET', `/v2/images/${id}/members`, { token: T.bob })).json()) as {
      members: Array<{ member_id: string }>;
    };
    expect(asBob.members.map((m) => m.member_id)).toEqual(['p2']);
    expect((await h.req('GET', `/v2/images/${id}/members/p4`, { token: T.bob })).status).toBe(404);
    expect((await h.req('GET', `/v2/images/${id}/members`, { token: T.carol })).status).toBe(404);
    expect((await h.req('GET', `/v2/images/${id}/members/p2`, { token: T.carol })).status).toBe(404);
  });

  it('the owner removes members (204) and the image disappears for them; deleting the image drops members', async () => {
    await add('p2');
    expect((await h.req('DELETE', `/v2/images/${id}/members/p2`, { token: T.bob })).status).toBe(403);
    expect((await h.req('DELETE', `/v2/images/${id}/members/p2`)).status).toBe(204);
    expect((await h.req('DELETE', `/v2/images/${id}/members/p2`)).status).toBe(404);
    expect((await h.req('GET', `/v2/images/${id}`, { token: T.bob })).status).toBe(404);
    await add('p3');
    await h.req('DELETE', `/v2/images/${id}`);
    expect(h.deps.catalog.list('image_members')).toEqual([]);
  });
});
