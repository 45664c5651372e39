import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

describe('network API: tags', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('adds, checks, lists, replaces and removes tags of a network and a router', async () => {
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).body.network;
    const base = `/v2.0/networks/${net.id}/tags`;
    expect((await h.call(h.who.alice, 'PUT', `${base}/red`)).status).toBe(201);
    expect((await h.call(h.who.alice, 'GET', `${base}/red`)).status).toBe(204);
    const missing = await h.call(h.who.alice, 'GET', `${base}/blue`);
    expect(missing.status).toBe(404);
    expect(missing.body.NeutronError.type).toBe('TagNotFound');
    expect((await h.call(h.who.alice, 'GET', base)).body.tags).toEqual(['red']);
    const replaced = await h.call(h.who.alice, 'PUT', base, { tags: ['a', 'b', 'a'] });
    expect(replaced.body.tags).toEqual(['a', 'b']);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/networks?tags=a`)).body.networks).toHaveLength(1);
    expect((await h.call(h.who.alice, 'DELETE', `${base}/a`)).status).toBe(204);
    expect((await h.call(h.who.alice, 'DELETE', `${base}/a`)).status).toBe(404);
    expect((await h.call(h.who.alice, 'DELETE', base)).status).toBe(204);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/networks/${net.id}`)).body.network.tags).toEqual([]);

    const r = (await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: {} })).body.router;
    expect((await h.call(h.who.alice, 'PUT', `/v2.0/routers/${r.id}/tags/x`)).status).toBe(201);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/routers/${r.id}`)).body.router.tags).toEqual(['x']);
  });

  it('hides other projects, refuses readers and bad bodies', async () => {
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).body.network;
    expect((await h.call(h.who.bob, 'PUT', `/v2.0/networks/${net.id}/tags/x`)).status).toBe(404);
    expect((await h.call(h.who.reader, 'PUT', `/v2.0/networks/${net.id}/tags/x`)).status).toBe(403);
    expect((await h.call(h.who.alice, 'PUT', `/v2.0/networks/${net.id}/tags`, { tags: 'x' })).status).toBe(400);
    expect((await h.call(h.who.alice, 'PUT', `/v2.0/networks/${net.id}/tags`, { tags: ['a,b'] })).status).toBe(400);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/bogus/${net.id}/tags`)).status).toBe(404);
  });
});
