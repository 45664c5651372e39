import { describe, expect, it } from 'vitest';
import { computeHarness } from './testing/harness.ts';

describe('os-aggregates', () => {
  it('creates, lists, updates, adds and removes hosts, sets metadata and deletes (admin only)', async () => {
    const h = await computeHarness();
    const req = (method: string, path: string, body?: unknown, as = h.admin) =>
      h.req(method, `/os-aggregates${path}`, { as, ...(body !== undefined ? { body } : {}) });
    const created = await req('POST', '', { aggregate: { name: 'agg1', availability_zone: 'az9' } });
    expect(created.status).toBe(200);
    const a = created.json.aggregate;
    expect(a).toMatchObject({ name: 'agg1', availability_zone: 'az9', deleted: false, deleted_at: null });
    expect(a.hosts).toBeUndefined();
    expect((await req('POST', '', { aggregate: { name: 'agg1' } })).status).toBe(409);
    expect((await req('POST', '', { aggregate: { name: '' } })).status).toBe(400);
    expect((await req('POST', '', { aggregate: { name: 'x'.repeat(256) } })).status).toBe(400);
    expect((await req('POST', '', { aggregate: { name: 'u' } }, h.member)).status).toBe(403);
    expect((await req('GET', '', undefined, h.member)).status).toBe(403);
    expect((await req('GET', '')).json.aggregates).toHaveLength(1);
    const add = await req('POST', `/${a.id}/action`, { add_host: { host: 'host1' } });
    expect(add.json.aggregate.hosts).toEqual(['host1']);
    expect((await req('POST', `/${a.id}/action`, { add_host: { host: 'host1' } })).status).toBe(409);
    expect((await req('POST', `/${a.id}/action`, { add_host: { host: 'nope' } })).status).toBe(404);
    expect((await req('POST', `/${a.id}/action`, { add_host: { host: 'host2' } }, h.member)).status).toBe(403);
    expect((await req('DELETE', `/${a.id}`)).status).toBe(400);
    const meta = await req('POST', `/${a.id}/action`, { set_metadata: { metadata: { k: 'v' } } });
    expect(meta.json.aggregate.metadata).toEqual({ k: 'v', availability_zone: 'az9' });
    const unset = await req('POST', `/${a.id}/action`, { set_metadata: { metadata: { k: null } } });
    expect(unset.json.aggregate.metadata).toEqual({ availability_zone: 'az9' });
    const upd = await req('PUT', `/${a.id}`, { aggregate: { name: 'agg2', availability_zone: 'az8' } });
    expect(upd.json.aggregate).toMatchObject({ name: 'agg2', availability_zone: 'az8' });
    expect(upd.json.aggregate.updated_at).not.toBeNull();
    expect((await req('GET', `/${a.id}`)).json.aggregate.hosts).toEqual(['host1']);
    expect((await req('POST', `/${a.id}/action`, { remove_host: { host: 'host2' } })).status).toBe(404);
    expect((await req('POST', `/${a.id}/action`, { remove_host: { host: 'host1' } })).json.aggregate.hosts).toEqual([]);
    expect((await req('DELETE', `/${a.id}`)).status).toBe(200);
    expect((await req('GET', `/${a.id}`)).status).toBe(404);
    expect((await req('DELETE', '/99999')).status).toBe(404);
    const v241 = await h.req('POST', '/os-aggregates', {
      as: h.admin,
      version: '2.41',
      body: { aggregate: { name: 'agg3' } },
    });
    expect(typeof v241.json.aggregate.uuid).toBe('string');
    expect((await req('GET', `/${v241.json.aggregate.uuid}`)).json.aggregate.name).toBe('agg3');
  });
});
