import { afterEach, describe, expect, it } from 'vitest';
import type { FederatedSite } from '../site/federated-site.ts';
import { adminToken, createSiteFederation, issueToken, type SiteFederation } from '../site/testing.ts';

async function call(site: FederatedSite, token: string, method: string, path: string, body?: unknown) {
  const r = await site.app.request(path, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const idOf = (body: Record<string, unknown>, key: string): string => {
  const v = (body[key] as { id?: unknown } | undefined)?.id;
  if (typeof v !== 'string') throw new Error(`no ${key}.id in ${JSON.stringify(body)}`);
  return v;
};

/** A project `<name>-p` and a user `name` with the member role on it, at `site`; returns their ids. */
async function member(site: FederatedSite, token: string, name: string) {
  const p = await call(site, token, 'POST', '/v3/projects', { project: { name: `${name}-p`, domain_id: 'default' } });
  const project = idOf(p.body, 'project');
  const u = await call(site, token, 'POST', '/v3/users', {
    user: { name, password: `${name}-pw`, domain_id: 'default', default_project_id: project },
  });
  const user = idOf(u.body, 'user');
  const roles = await call(site, token, 'GET', '/v3/roles?name=member');
  const role = (roles.body.roles as Array<{ id: string }>)[0]?.id;
  const g = await call(site, token, 'PUT', `/v3/projects/${project}/users/${user}/roles/${role}`);
  expect(g.status).toBe(204);
  return { project, user };
}

interface Entry {
  id: string;
  collection: string;
  kind: string;
  winner: { record_id: string };
  losers: Array<{ record_id: string }>;
  resolution: null | { action: string; resolved_by: { user_name: string } };
}

describe('conflict ledger resolutions (/federation/v1/conflicts/{id}/resolve)', () => {
  let fed: SiteFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('merges duplicate users, renames duplicate projects, and every site shows the entries resolved', async () => {
    fed = await createSiteFederation(['a', 'b']);
    const a = fed.site('a');
    const b = fed.site('b');
    const adminA = await adminToken(a);
    const adminB = await adminToken(b);
    fed.net.partition([['a'], ['b']]);
    await fed.settle();
    const atA = await member(a, adminA, 'carol');
    const atB = await member(b, adminB, 'carol');
    fed.net.heal();
    await fed.settle();

    const list = await call(a, adminA, 'GET', '/federation/v1/conflicts?kind=duplicate_name&resolved=false');
    expect(list.status).toBe(200);
    const entries = list.body.conflicts as Entry[];
    const users = entries.find((e) => e.collection === 'users');
    const projects = entries.find((e) => e.collection === 'projects');
    if (!users || !projects) throw new Error(`entries: ${JSON.stringify(entries)}`);
    expect(users.resolution).toBeNull();

    // Only admins resolve; bad input is a 4xx.
    const carol = await issueToken(a, 'carol', 'carol-pw', 'carol-p');
    const carolToken = carol.headers.get('x-subject-token') ?? '';
    const path = `/federation/v1/conflicts/${users.id}/resolve`;
    expect((await call(a, carolToken, 'POST', path, { resolve: { action: 'accept' } })).status).toBe(403);
    expect((await call(a, adminA, 'POST', path, { resolve: { action: 'explode' } })).status).toBe(400);
    expect((await call(a, adminA, 'POST', path, { resolve: { action: 'merge', into: 'nobody' } })).status).toBe(400);
    expect(
      (await call(a, adminA, 'POST', '/federation/v1/conflicts/nope/resolve', { resolve: { action: 'accept' } }))
        .status,
    ).toBe(404);
    const projectPath = `/federation/v1/conflicts/${projects.id}/resolve`;
    expect(
      (await call(a, adminA, 'POST', projectPath, { resolve: { action: 'merge', into: atA.project } })).status,
    ).toBe(400);
    expect((await call(a, adminA, 'POST', projectPath, { resolve: { action: 'rename', name: 'admin' } })).status).toBe(
      409,
    );

    // Merge the users into the winner: the other's role assignment moves over, the other is deleted.
    const survivor = users.winner.record_id;
    const other = survivor === atA.user ? atB.user : atA.user;
    const otherProject = other === atA.user ? atA.project : atB.project;
    const merged = await call(a, adminA, 'POST', path, { resolve: { action: 'merge', into: survivor } });
    expect(merged.status).toBe(200);
    expect((merged.body.conflict as Entry).resolution).toMatchObject({
      action: 'merge',
      into: survivor,
      merged: [other],
      resolved_by: { user_name: 'admin', site_id: 'a' },
    });
    expect((await call(a, adminA, 'POST', path, { resolve: { action: 'accept' } })).status).toBe(409);

    // Rename the other project.
    const renamed = await call(a, adminA, 'POST', projectPath, { resolve: { action: 'rename', name: 'carol-p2' } });
    expect(renamed.status).toBe(200);
    await fed.settle();

    // Site b sees the same: resolutions, the survivor holding both assignments, the other user gone.
    const atBList = await call(b, adminB, 'GET', '/federation/v1/conflicts?kind=duplicate_name');
    for (const e of atBList.body.conflicts as Entry[]) expect(e.resolution?.resolved_by.user_name).toBe('admin');
    expect((await call(b, adminB, 'GET', '/federation/v1/conflicts?kind=duplicate_name&resolved=false')).body).toEqual({
      conflicts: [],
    });
    expect((await call(b, adminB, 'GET', `/v3/users/${other}`)).status).toBe(404);
    const assignments = await call(b, adminB, 'GET', `/v3/role_assignments?user.id=${survivor}`);
    const scopes = (assignments.body.role_assignments as Array<{ scope: { project?: { id: string } } }>).map(
      (x) => x.scope.project?.id,
    );
    expect(scopes.sort()).toEqual([atA.project, atB.project].sort());
    const names = (await call(b, adminB, 'GET', '/v3/projects?name=carol-p2')).body.projects as unknown[];
    expect(names).toHaveLength(1);
    // The survivor logs in to the project that belonged to the merged user.
    const pname = otherProject === projects.winner.record_id ? 'carol-p' : 'carol-p2';
    expect((await issueToken(b, 'carol', 'carol-pw', pname)).status).toBe(201);
  });

  it('accepts the winner of a concurrent update', async () => {
    fed = await createSiteFederation(['a', 'b']);
    const a = fed.site('a');
    const admin = await adminToken(a);
    // Concurrent bootstraps wrote the admin user with per-site password hashes: one concurrent_update.
    const list = await call(a, admin, 'GET', '/federation/v1/conflicts?kind=concurrent_update');
    const [entry] = list.body.conflicts as Entry[];
    if (!entry) throw new Error('no concurrent_update entry');
    const path = `/federation/v1/conflicts/${entry.id}/resolve`;
    expect((await call(a, admin, 'POST', path, { resolve: { action: 'rename', name: 'x' } })).status).toBe(400);
    const r = await call(a, admin, 'POST', path, { resolve: { action: 'accept' } });
    expect(r.status).toBe(200);
    expect((await call(a, admin, 'GET', `/federation/v1/conflicts/${entry.id}`)).body).toMatchObject({
      conflict: { id: entry.id, resolution: { action: 'accept' } },
    });
  });
});
