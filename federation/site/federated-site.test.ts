import { afterEach, describe, expect, it } from 'vitest';
import { snapshotOf } from '../testing/federation.ts';
import type { FederatedSite } from './federated-site.ts';
import { PEERS_DOWN_HEADER, STALE_SINCE_HEADER } from './headers.ts';
import { adminToken, createSiteFederation, issueToken, type SiteFederation } from './testing.ts';

async function call(site: FederatedSite, token: string, method: string, path: string, body?: unknown) {
  const r = await site.app.request(path, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A string field at `path` of a JSON body. */
function dig(body: unknown, ...path: Array<string | number>): string {
  let v = body;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  if (typeof v !== 'string') throw new Error(`no string at ${path.join('.')}: ${JSON.stringify(body)}`);
  return v;
}

/** Creates a project, a user with a password and member on it, at `site`. */
async function createMember(site: FederatedSite, token: string, name: string) {
  const p = await call(site, token, 'POST', '/v3/projects', { project: { name: `${name}-p`, domain_id: 'default' } });
  expect(p.status).toBe(201);
  const u = await call(site, token, 'POST', '/v3/users', {
    user: { name, password: `${name}-pw`, domain_id: 'default', default_project_id: dig(p.body, 'project', 'id') },
  });
  expect(u.status).toBe(201);
  const roles = await call(site, token, 'GET', '/v3/roles?name=member');
  const role = dig(roles.body, 'roles', 0, 'id');
  const g = await call(
    site,
    token,
    'PUT',
    `/v3/projects/${dig(p.body, 'project', 'id')}/users/${dig(u.body, 'user', 'id')}/roles/${role}`,
  );
  expect(g.status).toBe(204);
  return { projectId: dig(p.body, 'project', 'id'), userId: dig(u.body, 'user', 'id') };
}

async function tokenOf(site: FederatedSite, user: string, password: string, project: string) {
  const r = await issueToken(site, user, password, project);
  return { status: r.status, token: r.headers.get('x-subject-token') ?? '' };
}

function expectConverged(fed: SiteFederation): void {
  const want = snapshotOf(fed.site('a').store);
  for (const id of ['b', 'c']) expect(snapshotOf(fed.site(id).store), `records at ${id}`).toEqual(want);
}

describe('federated edge sites (3 sites, memory transport, manual clock)', () => {
  let fed: SiteFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('merges three concurrent bootstraps into one identity, with each site endpoints in its own region', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) {
      const { store } = fed.site(id);
      expect(store.list('domains').map((d) => d.id)).toEqual(['default']);
      expect(
        store
          .list('roles')
          .map((r) => r.name)
          .sort(),
      ).toEqual(['admin', 'member', 'reader']);
      expect(store.list('users').map((u) => u.name)).toEqual(['admin']);
      expect(
        store
          .list('projects')
          .map((p) => p.name)
          .sort(),
      ).toEqual(['admin', 'service']);
      expect(store.list('services')).toHaveLength(7);
      expect(new Set(store.list('endpoints').map((e) => e.region_id))).toEqual(new Set(['a', 'b', 'c']));
      for (const e of store.list('endpoints')) expect(e.url.startsWith(`http://${e.region_id}.test:5000`)).toBe(true);
      expect(
        store
          .list('sites')
          .map((s) => s.id)
          .sort(),
      ).toEqual(['a', 'b', 'c']);
      expect(store.conflicts().filter((c) => c.kind === 'duplicate_name')).toEqual([]);
      // Identical default records merge silently; only the admin's password hash (salted per site) differs.
      const kinds = new Set(store.conflicts().map((c) => `${c.collection}:${c.kind}`));
      expect([...kinds]).toEqual(['users:concurrent_update']);
      // The admin logs in everywhere with the one password.
      expect((await tokenOf(fed.site(id), 'admin', 'adminpw', 'admin')).status).toBe(201);
    }
    expectConverged(fed);
  });

  it('uses identity created at A from C, and A-issued tokens at C while A is stopped', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const a = fed.site('a');
    const c = fed.site('c');
    await createMember(a, await adminToken(a), 'alice');
    await fed.settle();
    const atC = await tokenOf(c, 'alice', 'alice-pw', 'alice-p');
    expect(atC.status).toBe(201);
    const fromA = await tokenOf(a, 'alice', 'alice-pw', 'alice-p');
    expect(fromA.status).toBe(201);

    await fed.stop('a');
    await fed.settle();
    const r = await call(c, fromA.token, 'GET', '/federation/v1/status');
    expect(r.status).toBe(200);
    expect(r.headers.get(PEERS_DOWN_HEADER)).toBe('1');
    expect(r.headers.get(STALE_SINCE_HEADER)).toMatch(/^\d{4}-\d\d-\d\dT/);
    const peerA = (r.body.peers as Array<Record<string, unknown>>).find((p) => p.id === 'a');
    expect(peerA).toMatchObject({ status: 'down', reachable: false });
    expect(r.body.peers_down).toBe(1);
    // The OpenStack APIs carry the header too, and still serve A's token.
    const servers = await call(c, fromA.token, 'GET', '/compute/v2.1/servers');
    expect(servers.status).toBe(200);
    expect(servers.headers.get(PEERS_DOWN_HEADER)).toBe('1');
  });

  it('refuses revoked tokens and disabled users at every site once propagated', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const a = fed.site('a');
    const b = fed.site('b');
    const c = fed.site('c');
    const admin = await adminToken(a);
    const { userId } = await createMember(a, admin, 'bob');
    await fed.settle();
    const t1 = await tokenOf(b, 'bob', 'bob-pw', 'bob-p');
    const t2 = await tokenOf(b, 'bob', 'bob-pw', 'bob-p');
    expect((await call(c, t1.token, 'GET', '/federation/v1/sites')).status).toBe(200);

    // Revoke t1 at B: refused at A and C.
    const revoke = await b.app.request('/v3/auth/tokens', {
      method: 'DELETE',
      headers: { 'X-Auth-Token': t1.token, 'X-Subject-Token': t1.token },
    });
    expect(revoke.status).toBe(204);
    await fed.settle();
    for (const s of [a, c]) expect((await call(s, t1.token, 'GET', '/federation/v1/sites')).status).toBe(401);
    expect((await call(c, t2.token, 'GET', '/federation/v1/sites')).status).toBe(200);

    // Disable bob at A: t2 (issued at B) refused everywhere, no new token anywhere.
    expect((await call(a, admin, 'PATCH', `/v3/users/${userId}`, { user: { enabled: false } })).status).toBe(200);
    await fed.settle();
    for (const s of [a, b, c]) {
      expect((await call(s, t2.token, 'GET', '/federation/v1/sites')).status).toBe(401);
      expect((await tokenOf(s, 'bob', 'bob-pw', 'bob-p')).status).toBe(401);
    }
  });

  it('keeps serving on both sides of a partition, converges after heal and shows duplicate names', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const a = fed.site('a');
    const b = fed.site('b');
    const c = fed.site('c');
    const adminA = await adminToken(a);
    const adminC = await adminToken(c);
    fed.net.partition([['a', 'b'], ['c']]);
    await fed.settle();

    await createMember(a, adminA, 'carol');
    await createMember(c, adminC, 'carol');
    await createMember(c, adminC, 'dave');
    await fed.settle();
    // Local reads and logins on each side.
    expect((await tokenOf(b, 'carol', 'carol-pw', 'carol-p')).status).toBe(201);
    expect((await tokenOf(c, 'dave', 'dave-pw', 'dave-p')).status).toBe(201);
    expect((await tokenOf(b, 'dave', 'dave-pw', 'dave-p')).status).toBe(401);
    const status = await call(c, adminC, 'GET', '/federation/v1/status');
    expect(status.body.peers_down).toBe(2);
    expect(status.headers.get(PEERS_DOWN_HEADER)).toBe('2');
    const sites = await call(b, adminA, 'GET', '/federation/v1/sites');
    expect(
      Object.fromEntries((sites.body.sites as Array<{ id: string; status: string }>).map((s) => [s.id, s.status])),
    ).toEqual({ a: 'up', b: 'up', c: 'down' });

    fed.net.heal();
    await fed.settle();
    expectConverged(fed);
    expect((await tokenOf(a, 'dave', 'dave-pw', 'dave-p')).status).toBe(201);
    const healed = await call(a, adminA, 'GET', '/federation/v1/status');
    expect(healed.body.peers_down).toBe(0);
    expect(healed.headers.get(PEERS_DOWN_HEADER)).toBe('0');
    expect(healed.headers.get(STALE_SINCE_HEADER)).toBeNull();
    for (const p of healed.body.peers as Array<{ replication: { in_sync: boolean } }>) {
      expect(p.replication.in_sync).toBe(true);
    }

    for (const s of [a, b, c]) {
      const r = await call(s, adminA, 'GET', '/federation/v1/conflicts?kind=duplicate_name');
      expect(r.status).toBe(200);
      const users = (r.body.conflicts as Array<{ collection: string }>).filter((x) => x.collection === 'users');
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ kind: 'duplicate_name', losers: [expect.any(Object)] });
    }
    expect((await call(a, adminA, 'GET', '/federation/v1/conflicts?kind=bogus')).status).toBe(400);
  });

  it('requires a token on the federation API', async () => {
    fed = await createSiteFederation(['a', 'b']);
    const r = await fed.site('a').app.request('/federation/v1/status');
    expect(r.status).toBe(401);
    expect(r.headers.get(PEERS_DOWN_HEADER)).toBe('0');
    const admin = await adminToken(fed.site('a'));
    expect((await call(fed.site('a'), admin, 'GET', '/federation/v1/sites/zzz')).status).toBe(404);
    const self = await call(fed.site('a'), admin, 'GET', '/federation/v1/sites/a');
    expect(self.body.site).toMatchObject({ id: 'a', region: 'a', self: true, status: 'up' });
  });
});
