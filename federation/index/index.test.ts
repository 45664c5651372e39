import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { FederatedSite } from '../site/federated-site.ts';
import { adminToken, createSiteFederation, issueToken, type SiteFederation } from '../site/testing.ts';
import { memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog } from '../store/replicated-catalog.ts';
import type { IndexedResource } from './sources.ts';
import { indexDiff, startIndexWriter } from './writer.ts';

async function call(site: FederatedSite, token: string, method: string, path: string, body?: unknown) {
  const r = await site.app.request(path, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as any };
}

describe('indexDiff', () => {
  const r = (id: string, status = 'ACTIVE') => ({
    id,
    type: 'network',
    project_id: 'p',
    name: id,
    status,
    updated_at: 1,
  });
  it('puts new and changed entries, deletes vanished ones, leaves other sites and types alone', () => {
    const current = [
      { id: 'n1', type: 'network', site_id: 'a', project_id: 'p', name: 'n1', status: 'ACTIVE', updated_at: 1 },
      { id: 'n2', type: 'network', site_id: 'a', project_id: 'p', name: 'n2', status: 'ACTIVE', updated_at: 1 },
      { id: 'n3', type: 'network', site_id: 'a', project_id: 'p', name: 'n3', status: 'ACTIVE', updated_at: 1 },
      { id: 'x', type: 'network', site_id: 'b', project_id: 'p', name: 'x', status: 'ACTIVE', updated_at: 1 },
      { id: 'i', type: 'image', site_id: 'a', project_id: 'p' },
    ];
    const writes = indexDiff('a', ['network'], current, [r('n1'), r('n2', 'DOWN'), r('n4')]);
    expect(writes.map((w) => `${w.op}:${w.op === 'put' ? w.record.id : w.id}`).sort()).toEqual([
      'delete:n3',
      'put:n2',
      'put:n4',
    ]);
  });
});

describe('index writer', () => {
  it('writes one batch per window, skips windows whose fingerprint did not move, rescans every fullEvery', async () => {
    const clock = manualClock();
    const store = await createReplicatedCatalog({
      siteId: 'a',
      persistence: memoryPersistence(),
      clock,
      log: silentLogger,
    });
    const rows: IndexedResource[] = [];
    let print = 'p0';
    let scans = 0;
    const w = startIndexWriter({
      siteId: 'a',
      catalog: store,
      scan: async () => {
        scans++;
        return rows.map((r) => ({ ...r }));
      },
      fingerprint: async () => print,
      types: ['server'],
      clock,
      log: silentLogger,
      flushMs: 1000,
      fullEvery: 5,
    });
    const window = async () => {
      clock.advance(1000);
      for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    };
    await w.flush();
    for (let i = 0; i < 100; i++) {
      rows.push({ id: `s${i}`, type: 'server', project_id: 'p', name: `vm${i}`, status: 'building', updated_at: 1 });
    }
    // Rows changed but the fingerprint did not: nothing until the forced rescan.
    const before = scans;
    await window();
    expect(store.list('resource_index')).toHaveLength(0);
    print = 'p1';
    await window();
    expect(store.list('resource_index')).toHaveLength(100);
    expect(w.stats().batches).toBe(1);
    for (const r of rows) r.status = 'active';
    for (let i = 0; i < 5; i++) await window();
    expect(store.list('resource_index').every((e) => e.status === 'active')).toBe(true);
    expect(w.stats().batches).toBe(2);
    expect(w.stats().skipped).toBeGreaterThanOrEqual(4);
    expect(scans - before).toBeLessThanOrEqual(3);
    rows.splice(0, 50);
    await w.flush();
    expect(store.list('resource_index')).toHaveLength(50);
    await w.stop();
    await store.close();
  });
});

describe('global resource index (3 sites, memory transport, manual clock)', () => {
  let fed: SiteFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('shows a resource at every site with its home site, liveness and age; deletes follow', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const a = fed.site('a');
    const b = fed.site('b');
    const token = await adminToken(a);
    const n = await call(a, token, 'POST', '/network/v2.0/networks', { network: { name: 'net-a' } });
    expect(n.status).toBe(201);
    const id = n.body.network.id as string;
    await a.index.flush();
    await fed.settle();

    const one = await call(b, token, 'GET', `/federation/v1/resources/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.resource).toMatchObject({
      id,
      type: 'network',
      site_id: 'a',
      name: 'net-a',
      status: 'ACTIVE',
      site_reachable: true,
      age_seconds: 0,
    });
    expect(one.body.resource.project_id).toEqual(expect.any(String));
    expect(Date.parse(one.body.resource.last_contact)).toBeGreaterThan(0);
    expect(Date.parse(one.body.resource.updated_at)).toBeGreaterThan(0);
    const sites = await call(b, token, 'GET', '/federation/v1/sites/a');
    expect(sites.body.site.resource_index).toEqual({ entries: { network: 1 }, newest_update: expect.any(String) });
    const listed = await call(b, token, 'GET', '/federation/v1/resources?type=network&site_id=a&name=net-a');
    expect(listed.body.resources.map((x: { id: string }) => x.id)).toEqual([id]);
    expect((await call(b, token, 'GET', '/federation/v1/resources?type=server')).body.resources).toEqual([]);
    expect((await call(b, token, 'GET', '/federation/v1/resources/nope')).status).toBe(404);
    // Neutron at b does not hold a's network: a 404 in Neutron's shape that names the home site.
    const there = await call(b, token, 'GET', `/network/v2.0/networks/${id}`);
    expect(there.status).toBe(404);
    expect(there.headers.get('x-brume-home-site')).toBe('a');
    expect(there.body.NeutronError.type).toBe('NetworkNotFound');
    expect(there.body.NeutronError.message).toContain('Its home is site a (region a, reachable');
    expect((await call(b, 'bad', 'GET', '/federation/v1/resources')).status).toBe(401);

    // a unreachable: b still answers, with the last known state and its age.
    fed.net.partition([['a'], ['b', 'c']]);
    await fed.settle(30);
    const stale = await call(b, token, 'GET', `/federation/v1/resources/${id}`);
    expect(stale.body.resource).toMatchObject({ site_id: 'a', status: 'ACTIVE', site_reachable: false });
    expect(stale.body.resource.age_seconds).toBeGreaterThanOrEqual(25);

    fed.net.heal();
    expect((await call(a, token, 'DELETE', `/network/v2.0/networks/${id}`)).status).toBe(204);
    await a.index.flush();
    await fed.settle();
    expect((await call(b, token, 'GET', `/federation/v1/resources/${id}`)).status).toBe(404);
    expect(a.index.stats().batches).toBeGreaterThanOrEqual(2);
  });

  it('a project-scoped token sees its own project only', async () => {
    fed = await createSiteFederation(['a', 'b']);
    const a = fed.site('a');
    const b = fed.site('b');
    const admin = await adminToken(a);
    const p = await call(a, admin, 'POST', '/v3/projects', { project: { name: 'p1', domain_id: 'default' } });
    const u = await call(a, admin, 'POST', '/v3/users', {
      user: { name: 'm1', password: 'm1-pw', domain_id: 'default' },
    });
    const role = (await call(a, admin, 'GET', '/v3/roles?name=member')).body.roles[0].id;
    const grant = await call(
      a,
      admin,
      'PUT',
      `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${role}`,
    );
    expect(grant.status).toBe(204);
    const member = (await issueToken(a, 'm1', 'm1-pw', 'p1')).headers.get('x-subject-token') ?? '';
    const mine = await call(a, member, 'POST', '/network/v2.0/networks', { network: { name: 'mine' } });
    const theirs = await call(a, admin, 'POST', '/network/v2.0/networks', { network: { name: 'theirs' } });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    await a.index.flush();
    await fed.settle();
    const seen = await call(b, member, 'GET', '/federation/v1/resources');
    expect(seen.body.resources.map((r: { name: string }) => r.name)).toEqual(['mine']);
    expect((await call(b, member, 'GET', `/federation/v1/resources/${theirs.body.network.id}`)).status).toBe(404);
    const all = await call(b, admin, 'GET', '/federation/v1/resources?type=network');
    expect(all.body.resources.map((r: { name: string }) => r.name).sort()).toEqual(['mine', 'theirs']);
  });
});
