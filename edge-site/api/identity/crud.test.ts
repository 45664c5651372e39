import { describe, expect, it } from 'vitest';
import { identityFixture } from '../../identity/fixture.ts';
import { issueTokenForTest } from '../../identity/testing.ts';

type F = Awaited<ReturnType<typeof identityFixture>>;

async function roleId(f: F, name: string): Promise<string> {
  const r = await f.call('GET', `/v3/roles?name=${name}`, { token: f.adminToken });
  return r.body.roles[0].id;
}

/** Creates a user with `role` on a fresh project and returns a token scoped there. */
async function userWithRole(f: F, name: string, role: string) {
  const t = f.adminToken;
  const project = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: `${name}-p` } } })).body
    .project;
  const user = (await f.call('POST', '/v3/users', { token: t, body: { user: { name, password: 'pw' } } })).body.user;
  await f.call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${await roleId(f, role)}`, { token: t });
  const token = await issueTokenForTest(f.app, { user: name, password: 'pw', project: `${name}-p` });
  return { project, user, token };
}

describe('domains', () => {
  it('creates, lists with filters, refuses duplicates (409) and deleting an enabled domain (403)', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const created = await f.call('POST', '/v3/domains', {
      token: t,
      body: { domain: { name: 'edge', description: 'd' } },
    });
    expect(created.status).toBe(201);
    const d = created.body.domain;
    expect(d).toMatchObject({ name: 'edge', description: 'd', enabled: true, tags: [] });
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.links.self).toBe(`http://localhost/v3/domains/${d.id}`);
    expect((await f.call('POST', '/v3/domains', { token: t, body: { domain: { name: 'edge' } } })).status).toBe(409);
    const list = await f.call('GET', '/v3/domains?name=edge', { token: t });
    expect(list.body.domains.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect(list.body.links).toEqual({ self: 'http://localhost/v3/domains?name=edge', next: null, previous: null });
    expect((await f.call('GET', '/v3/domains?enabled=false', { token: t })).body.domains).toEqual([]);
    expect((await f.call('DELETE', `/v3/domains/${d.id}`, { token: t })).status).toBe(403);
    expect(
      (await f.call('PATCH', `/v3/domains/${d.id}`, { token: t, body: { domain: { enabled: false } } })).status,
    ).toBe(200);
    expect((await f.call('DELETE', `/v3/domains/${d.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/domains/${d.id}`, { token: t })).status).toBe(404);
    expect((await f.call('GET', '/v3/domains/default', { token: t })).body.domain.name).toBe('Default');
  });
});

describe('projects and users', () => {
  it('does project CRUD with name/domain filters and per-domain name uniqueness', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const p = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'web', tags: ['a'] } } })).body
      .project;
    expect(p).toMatchObject({ name: 'web', domain_id: 'default', parent_id: 'default', is_domain: false, tags: ['a'] });
    expect((await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'web' } } })).status).toBe(409);
    const dom = (await f.call('POST', '/v3/domains', { token: t, body: { domain: { name: 'other' } } })).body.domain;
    const p2 = await f.call('POST', '/v3/projects', {
      token: t,
      body: { project: { name: 'web', domain_id: dom.id } },
    });
    expect(p2.status).toBe(201);
    const byName = await f.call('GET', '/v3/projects?name=web', { token: t });
    expect(byName.body.projects).toHaveLength(2);
    const byDomain = await f.call('GET', `/v3/projects?name=web&domain_id=${dom.id}`, { token: t });
    expect(byDomain.body.projects.map((x: { id: string }) => x.id)).toEqual([p2.body.project.id]);
    const bad = await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'x', domain_id: 'nope' } } });
    expect(bad.status).toBe(404);
    const long = await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'x'.repeat(65) } } });
    expect(long.status).toBe(400);
    const noName = await f.call('POST', '/v3/projects', { token: t, body: { project: {} } });
    expect(noName.status).toBe(400);
    expect(noName.body.error.message).toContain('project.name');
    const upd = await f.call('PATCH', `/v3/projects/${p.id}`, { token: t, body: { project: { description: 'new' } } });
    expect(upd.body.project.description).toBe('new');
    expect((await f.call('DELETE', `/v3/projects/${p.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/projects/${p.id}`, { token: t })).status).toBe(404);
  });

  it('never returns passwords, changes them by PATCH, and lists a user projects and groups', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const created = await f.call('POST', '/v3/users', {
      token: t,
      body: { user: { name: 'bob', password: 'one', email: 'b@x', favourite: 'blue' } },
    });
    expect(created.status).toBe(201);
    const u = created.body.user;
    expect(u).toMatchObject({ name: 'bob', domain_id: 'default', enabled: true, email: 'b@x', favourite: 'blue' });
    expect(JSON.stringify(created.body)).not.toMatch(/password_hash|"one"/);
    expect(f.deps.catalog.get('users', u.id)?.password_hash).toMatch(/^\$scrypt\$/);
    expect((await f.call('POST', '/v3/users', { token: t, body: { user: { name: 'bob' } } })).status).toBe(409);
    expect((await f.call('PATCH', `/v3/users/${u.id}`, { token: t, body: { user: { password: 'two' } } })).status).toBe(
      200,
    );
    await expect(issueTokenForTest(f.app, { user: 'bob', password: 'one' })).rejects.toThrow(/401/);
    const bobToken = await issueTokenForTest(f.app, { user: 'bob', password: 'two' });
    // Self-service reads with an unscoped token.
    expect((await f.call('GET', `/v3/users/${u.id}`, { token: bobToken })).body.user.name).toBe('bob');
    expect((await f.call('GET', `/v3/users/${u.id}/projects`, { token: bobToken })).body.projects).toEqual([]);
    expect((await f.call('GET', '/v3/users?name=bob', { token: t })).body.users).toHaveLength(1);
    expect((await f.call('GET', '/v3/users/nope', { token: t })).status).toBe(404);
    expect((await f.call('DELETE', `/v3/users/${u.id}`, { token: t })).status).toBe(204);
    await expect(f.identity.tokens.validate(bobToken)).rejects.toMatchObject({ kind: 'unauthorized' });
  });
});

describe('groups and role assignments', () => {
  it('manages membership and gives group roles to members', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const g = (await f.call('POST', '/v3/groups', { token: t, body: { group: { name: 'ops' } } })).body.group;
    const u = (await f.call('POST', '/v3/users', { token: t, body: { user: { name: 'carol', password: 'pw' } } })).body
      .user;
    const p = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'shared' } } })).body.project;
    expect((await f.call('HEAD', `/v3/groups/${g.id}/users/${u.id}`, { token: t })).status).toBe(404);
    expect((await f.call('PUT', `/v3/groups/${g.id}/users/${u.id}`, { token: t })).status).toBe(204);
    expect((await f.call('HEAD', `/v3/groups/${g.id}/users/${u.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/groups/${g.id}/users`, { token: t })).body.users[0].id).toBe(u.id);
    expect((await f.call('GET', `/v3/users/${u.id}/groups`, { token: t })).body.groups[0].id).toBe(g.id);
    const member = await roleId(f, 'member');
    expect((await f.call('PUT', `/v3/projects/${p.id}/groups/${g.id}/roles/${member}`, { token: t })).status).toBe(204);
    expect((await f.call('HEAD', `/v3/projects/${p.id}/groups/${g.id}/roles/${member}`, { token: t })).status).toBe(
      204,
    );
    const carol = await issueTokenForTest(f.app, { user: 'carol', password: 'pw', project: 'shared' });
    expect((await f.identity.tokens.validate(carol)).roles.sort()).toEqual(['member', 'reader']);
    expect((await f.call('GET', `/v3/users/${u.id}/projects`, { token: carol })).body.projects[0].id).toBe(p.id);

    const listed = await f.call('GET', `/v3/role_assignments?scope.project.id=${p.id}`, { token: t });
    expect(listed.body.role_assignments).toEqual([
      {
        role: { id: member },
        group: { id: g.id },
        scope: { project: { id: p.id } },
        links: { assignment: `http://localhost/v3/projects/${p.id}/groups/${g.id}/roles/${member}` },
      },
    ]);
    const eff = await f.call('GET', `/v3/role_assignments?user.id=${u.id}&effective&include_names=true`, { token: t });
    const names = eff.body.role_assignments.map((a: { role: { name: string } }) => a.role.name).sort();
    expect(names).toEqual(['member', 'reader']);
    expect(eff.body.role_assignments[0].user).toEqual({
      id: u.id,
      name: 'carol',
      domain: { id: 'default', name: 'Default' },
    });
    expect(eff.body.role_assignments[0].links.membership).toBe(`http://localhost/v3/groups/${g.id}/users/${u.id}`);

    expect((await f.call('DELETE', `/v3/groups/${g.id}/users/${u.id}`, { token: t })).status).toBe(204);
    await expect(f.identity.tokens.validate(carol)).rejects.toMatchObject({ code: 'identity.no_roles_on_scope' });
    expect((await f.call('DELETE', `/v3/groups/${g.id}/users/${u.id}`, { token: t })).status).toBe(404);
  });

  it('lists grants, filters role assignments by role, and manages implied roles', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const { project, user } = await userWithRole(f, 'dave', 'reader');
    const roles = await f.call('GET', `/v3/projects/${project.id}/users/${user.id}/roles`, { token: t });
    expect(roles.body.roles.map((r: { name: string }) => r.name)).toEqual(['reader']);
    const admin = await roleId(f, 'admin');
    const byRole = await f.call('GET', `/v3/role_assignments?role.id=${admin}`, { token: t });
    expect(byRole.body.role_assignments.length).toBe(2); // bootstrap admin: project + system
    const member = await roleId(f, 'member');
    const imp = await f.call('GET', `/v3/roles/${admin}/implies`, { token: t });
    expect(imp.body.role_inference.implies.map((r: { id: string }) => r.id)).toEqual([member]);
    const custom = (await f.call('POST', '/v3/roles', { token: t, body: { role: { name: 'auditor' } } })).body.role;
    expect((await f.call('POST', '/v3/roles', { token: t, body: { role: { name: 'auditor' } } })).status).toBe(409);
    expect((await f.call('PUT', `/v3/roles/${custom.id}/implies/${member}`, { token: t })).status).toBe(201);
    expect((await f.call('PUT', `/v3/roles/${member}/implies/${custom.id}`, { token: t })).status).toBe(400);
    expect((await f.call('HEAD', `/v3/roles/${custom.id}/implies/${member}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', '/v3/role_inferences', { token: t })).body.role_inferences).toHaveLength(3);
    expect((await f.call('DELETE', `/v3/roles/${custom.id}/implies/${member}`, { token: t })).status).toBe(204);
    expect(
      (await f.call('DELETE', `/v3/projects/${project.id}/users/${user.id}/roles/${admin}`, { token: t })).status,
    ).toBe(404);
    expect((await f.call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/nope`, { token: t })).status).toBe(
      404,
    );
  });
});

describe('catalog administration', () => {
  it('does services, endpoints and regions', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const regions = await f.call('GET', '/v3/regions', { token: t });
    expect(regions.body.regions.map((r: { id: string }) => r.id)).toEqual(['test']);
    expect((await f.call('POST', '/v3/regions', { token: t, body: { region: { id: 'test' } } })).status).toBe(409);
    const svc = (
      await f.call('POST', '/v3/services', { token: t, body: { service: { type: 'dns', name: 'designate' } } })
    ).body.service;
    const ep = await f.call('POST', '/v3/endpoints', {
      token: t,
      body: { endpoint: { service_id: svc.id, interface: 'public', url: 'http://dns', region_id: 'test' } },
    });
    expect(ep.status).toBe(201);
    expect(ep.body.endpoint).toMatchObject({ region: 'test', region_id: 'test', interface: 'public', enabled: true });
    const bad = await f.call('POST', '/v3/endpoints', {
      token: t,
      body: { endpoint: { service_id: svc.id, interface: 'sideways', url: 'http://dns' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('endpoint.interface');
    const listed = await f.call('GET', `/v3/endpoints?service_id=${svc.id}&interface=public`, { token: t });
    expect(listed.body.endpoints).toHaveLength(1);
    expect((await f.call('GET', '/v3/services?type=compute', { token: t })).body.services[0].name).toBe('nova');
    expect((await f.call('DELETE', `/v3/services/${svc.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/endpoints/${ep.body.endpoint.id}`, { token: t })).status).toBe(404);
  });
});

describe('policy', () => {
  it('a member cannot administer identity; a reader cannot write; users see their own things', async () => {
    const f = await identityFixture();
    const { project, user, token } = await userWithRole(f, 'erin', 'member');
    const reader = await userWithRole(f, 'frank', 'reader');
    expect((await f.call('POST', '/v3/users', { token, body: { user: { name: 'x' } } })).status).toBe(403);
    expect(
      (await f.call('POST', '/v3/projects', { token: reader.token, body: { project: { name: 'x' } } })).status,
    ).toBe(403);
    expect((await f.call('GET', '/v3/users', { token })).status).toBe(403);
    expect((await f.call('GET', `/v3/projects/${project.id}`, { token })).status).toBe(200);
    expect((await f.call('GET', `/v3/projects/${reader.project.id}`, { token })).status).toBe(403);
    expect((await f.call('GET', `/v3/users/${user.id}`, { token })).status).toBe(200);
    expect((await f.call('GET', `/v3/users/${reader.user.id}`, { token })).status).toBe(403);
    expect((await f.call('GET', `/v3/users/${user.id}/projects`, { token })).body.projects[0].id).toBe(project.id);
    expect((await f.call('GET', `/v3/users/${reader.user.id}/projects`, { token })).status).toBe(403);
    expect((await f.call('GET', '/v3/domains/default', { token })).status).toBe(200);
    expect((await f.call('GET', '/v3/regions', { token })).status).toBe(200);
    // Password change needs the original password, not a token (Keystone): the wrong one is a 401 for anyone.
    const guess = { user: { original_password: 'guess', password: 'pw2' } };
    expect((await f.call('POST', `/v3/users/${reader.user.id}/password`, { token, body: guess })).status).toBe(401);
    const pw = { user: { original_password: 'pw', password: 'pw2' } };
    expect((await f.call('POST', `/v3/users/${reader.user.id}/password`, { body: pw })).status).toBe(204);
    const wrong = { user: { original_password: 'nope', password: 'pw2' } };
    expect((await f.call('POST', `/v3/users/${user.id}/password`, { token, body: wrong })).status).toBe(401);
    const forbidden = await f.call('DELETE', `/v3/projects/${project.id}`, { token });
    expect(forbidden.body.error).toMatchObject({ code: 403, title: 'Forbidden' });
  });
});

describe('OS-INHERIT and domain roles', () => {
  it('inherited grants reach projects below the target; domain roles confer only what they imply', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const { project, user } = await userWithRole(f, 'gina', 'reader');
    const leaf = (
      await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'leaf', parent_id: project.id } } })
    ).body.project;
    const member = await roleId(f, 'member');
    const inherit = `/v3/OS-INHERIT/projects/${project.id}/users/${user.id}/roles/${member}/inherited_to_projects`;
    expect((await f.call('PUT', inherit, { token: t })).status).toBe(204);
    expect((await f.call('HEAD', inherit, { token: t })).status).toBe(204);
    const eff = async (p: string) =>
      (await f.call('GET', `/v3/role_assignments?effective&user.id=${user.id}&scope.project.id=${p}`, { token: t }))
        .body.role_assignments as Array<{ role: { id: string } }>;
    expect((await eff(leaf.id)).map((a) => a.role.id)).toContain(member);
    expect((await eff(project.id)).map((a) => a.role.id)).not.toContain(member);
    const leafToken = await issueTokenForTest(f.app, { user: 'gina', password: 'pw', project: 'leaf' });
    expect((await f.identity.tokens.validate(leafToken)).roles.sort()).toEqual(['member', 'reader']);
    expect((await f.call('DELETE', inherit, { token: t })).status).toBe(204);
    await expect(f.identity.tokens.validate(leafToken)).rejects.toMatchObject({ code: 'identity.no_roles_on_scope' });

    const dr = (await f.call('POST', '/v3/roles', { token: t, body: { role: { name: 'dr', domain_id: 'default' } } }))
      .body.role;
    expect((await f.call('PUT', `/v3/roles/${member}/implies/${dr.id}`, { token: t })).status).toBe(403);
    expect((await f.call('PUT', `/v3/roles/${dr.id}/implies/${member}`, { token: t })).status).toBe(201);
    await f.call('PUT', `/v3/projects/${leaf.id}/users/${user.id}/roles/${dr.id}`, { token: t });
    const roles = (await eff(leaf.id)).map((a) => a.role.id);
    expect(roles).toContain(member);
    expect(roles).not.toContain(dr.id);
  });
});
