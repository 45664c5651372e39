import { describe, expect, it } from 'vitest';
import { identityFixture } from '../../identity/fixture.ts';
import { issueTokenForTest } from '../../identity/testing.ts';

type F = Awaited<ReturnType<typeof identityFixture>>;

async function memberToken(f: F): Promise<string> {
  const t = f.adminToken;
  const project = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'm-p' } } })).body.project;
  const user = (await f.call('POST', '/v3/users', { token: t, body: { user: { name: 'm', password: 'pw' } } })).body
    .user;
  const role = (await f.call('GET', '/v3/roles?name=member', { token: t })).body.roles[0].id;
  await f.call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role}`, { token: t });
  return issueTokenForTest(f.app, { user: 'm', password: 'pw', project: 'm-p' });
}

describe('OS-EP-FILTER endpoint groups', () => {
  it('does CRUD, validates filters, lists matching endpoints and project associations', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const svc = (await f.call('POST', '/v3/services', { token: t, body: { service: { type: 'x' } } })).body.service;
    const ep = (
      await f.call('POST', '/v3/endpoints', {
        token: t,
        body: { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x' } },
      })
    ).body.endpoint;
    const base = '/v3/OS-EP-FILTER/endpoint_groups';
    const bad = { endpoint_group: { name: 'g', filters: { colour: 'red' } } };
    expect((await f.call('POST', base, { token: t, body: bad })).status).toBe(400);
    const body = { endpoint_group: { name: 'g', description: 'd', filters: { service_id: svc.id } } };
    expect((await f.call('POST', base, { token: await memberToken(f), body })).status).toBe(403);
    const created = await f.call('POST', base, { token: t, body });
    expect(created.status).toBe(201);
    const g = created.body.endpoint_group;
    expect(g).toMatchObject({ name: 'g', description: 'd', filters: { service_id: svc.id } });
    expect(g.links.self).toBe(`http://localhost${base}/${g.id}`);
    expect((await f.call('GET', base, { token: t })).body.endpoint_groups).toEqual([g]);
    expect((await f.call('HEAD', `${base}/${g.id}`, { token: t })).status).toBe(200);
    expect((await f.call('GET', `${base}/${g.id}/endpoints`, { token: t })).body.endpoints).toEqual([ep]);
    const upd = await f.call('PATCH', `${base}/${g.id}`, {
      token: t,
      body: { endpoint_group: { name: 'g2', filters: { service_id: svc.id, interface: 'admin' } } },
    });
    expect(upd.body.endpoint_group.filters).toEqual({ service_id: svc.id, interface: 'admin' });
    expect(upd.body.endpoint_group).toMatchObject({ name: 'g2', description: 'd' });
    expect((await f.call('GET', `${base}/${g.id}/endpoints`, { token: t })).body.endpoints).toEqual([]);

    const projects = (await f.call('GET', '/v3/projects?name=admin', { token: t })).body.projects;
    const pid = projects[0].id;
    expect((await f.call('GET', `${base}/${g.id}/projects/${pid}`, { token: t })).status).toBe(404);
    expect((await f.call('PUT', `${base}/${g.id}/projects/${pid}`, { token: t })).status).toBe(204);
    expect((await f.call('PUT', `${base}/${g.id}/projects/nope`, { token: t })).status).toBe(404);
    expect((await f.call('GET', `${base}/${g.id}/projects/${pid}`, { token: t })).body.project.id).toBe(pid);
    expect(
      (await f.call('GET', `${base}/${g.id}/projects`, { token: t })).body.projects.map((p: { id: string }) => p.id),
    ).toEqual([pid]);
    const forProject = await f.call('GET', `/v3/OS-EP-FILTER/projects/${pid}/endpoint_groups`, { token: t });
    expect(forProject.body.endpoint_groups.map((x: { id: string }) => x.id)).toEqual([g.id]);
    expect((await f.call('DELETE', `${base}/${g.id}/projects/${pid}`, { token: t })).status).toBe(204);
    expect((await f.call('DELETE', `${base}/${g.id}/projects/${pid}`, { token: t })).status).toBe(404);
    expect((await f.call('DELETE', `${base}/${g.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `${base}/${g.id}`, { token: t })).status).toBe(404);
  });
});

describe('OS-OAUTH1 consumers', () => {
  it('shows the secret only on create, updates the description, refuses secret changes', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const base = '/v3/OS-OAUTH1/consumers';
    const created = await f.call('POST', base, { token: t, body: { consumer: { description: 'd' } } });
    expect(created.status).toBe(201);
    const cn = created.body.consumer;
    expect(cn.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(cn.links.self).toBe(`http://localhost${base}/${cn.id}`);
    const shown = (await f.call('GET', `${base}/${cn.id}`, { token: t })).body.consumer;
    expect(shown).toEqual({ id: cn.id, description: 'd', links: cn.links });
    expect((await f.call('GET', base, { token: t })).body.consumers).toEqual([shown]);
    expect((await f.call('GET', base, { token: await memberToken(f) })).status).toBe(403);
    const patch = { consumer: { secret: 'x' } };
    expect((await f.call('PATCH', `${base}/${cn.id}`, { token: t, body: patch })).status).toBe(400);
    const upd = await f.call('PATCH', `${base}/${cn.id}`, { token: t, body: { consumer: { description: 'e' } } });
    expect(upd.body.consumer.description).toBe('e');
    expect((await f.call('DELETE', `${base}/${cn.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `${base}/${cn.id}`, { token: t })).status).toBe(404);
  });
});

describe('projects acting as domains', () => {
  it('creates the domain with the project, keeps it in step, deletes both once disabled', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const body = { project: { name: 'acme', description: 'd', domain_id: null, is_domain: true } };
    const created = await f.call('POST', '/v3/projects', { token: t, body });
    expect(created.status).toBe(201);
    const p = created.body.project;
    expect(p).toMatchObject({ name: 'acme', is_domain: true, domain_id: null, parent_id: null, enabled: true });
    const listed = (await f.call('GET', '/v3/projects?is_domain=true', { token: t })).body.projects;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([p.id]);
    expect((await f.call('GET', `/v3/domains/${p.id}`, { token: t })).body.domain).toMatchObject({ name: 'acme' });
    expect((await f.call('POST', '/v3/projects', { token: t, body })).status).toBe(409);
    const withParent = { project: { name: 'x', is_domain: true, parent_id: p.id } };
    expect((await f.call('POST', '/v3/projects', { token: t, body: withParent })).status).toBe(400);
    expect((await f.call('DELETE', `/v3/projects/${p.id}`, { token: t })).status).toBe(403);
    const off = { project: { enabled: false } };
    expect((await f.call('PATCH', `/v3/projects/${p.id}`, { token: t, body: off })).status).toBe(200);
    expect((await f.call('GET', `/v3/domains/${p.id}`, { token: t })).body.domain.enabled).toBe(false);
    expect((await f.call('DELETE', `/v3/projects/${p.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/domains/${p.id}`, { token: t })).status).toBe(404);
    expect((await f.call('GET', `/v3/projects/${p.id}`, { token: t })).status).toBe(404);
  });
});
