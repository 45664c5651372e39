import { describe, expect, it } from 'vitest';
import { identityFixture } from '../../identity/fixture.ts';
import { issueTokenForTest } from '../../identity/testing.ts';
import { ec2Id } from './credentials.ts';

type F = Awaited<ReturnType<typeof identityFixture>>;

/** A member user on its own project, with a project-scoped token. */
async function member(f: F, name: string) {
  const t = f.adminToken;
  const project = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: `${name}-p` } } })).body
    .project;
  const user = (await f.call('POST', '/v3/users', { token: t, body: { user: { name, password: 'pw' } } })).body.user;
  const role = (await f.call('GET', '/v3/roles?name=member', { token: t })).body.roles[0].id;
  await f.call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role}`, { token: t });
  const token = await issueTokenForTest(f.app, { user: name, password: 'pw', project: `${name}-p` });
  return { project, user, token };
}

describe('credentials', () => {
  it('does CRUD; ec2 ids are sha256(access); owners see only theirs; others get 404', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const alice = await member(f, 'alice');
    const bob = await member(f, 'bob');
    const blob = JSON.stringify({ access: 'AK', secret: 'SK' });
    const created = await f.call('POST', '/v3/credentials', {
      token: alice.token,
      body: { credential: { user_id: alice.user.id, project_id: alice.project.id, type: 'ec2', blob } },
    });
    expect(created.status).toBe(201);
    const cr = created.body.credential;
    expect(cr).toMatchObject({ id: ec2Id('AK'), user_id: alice.user.id, project_id: alice.project.id, type: 'ec2' });
    expect(JSON.parse(cr.blob)).toEqual({ access: 'AK', secret: 'SK' });
    expect(cr.links.self).toBe(`http://localhost/v3/credentials/${cr.id}`);
    // Duplicate access key, an ec2 blob without secret, and someone else's user id.
    const dup = { credential: { user_id: alice.user.id, project_id: alice.project.id, type: 'ec2', blob } };
    expect((await f.call('POST', '/v3/credentials', { token: t, body: dup })).status).toBe(409);
    const bad = { credential: { user_id: alice.user.id, project_id: alice.project.id, type: 'ec2', blob: '{}' } };
    expect((await f.call('POST', '/v3/credentials', { token: t, body: bad })).status).toBe(400);
    const other = { credential: { user_id: alice.user.id, type: 'cert', blob: 'x' } };
    expect((await f.call('POST', '/v3/credentials', { token: bob.token, body: other })).status).toBe(403);
    expect((await f.call('POST', '/v3/credentials', { token: t, body: { credential: {} } })).status).toBe(400);

    const cert = (await f.call('POST', '/v3/credentials', { token: t, body: other })).body.credential;
    expect(cert.project_id).toBeNull();
    expect(cert.id).toMatch(/^[0-9a-f]{32}$/);
    const all = await f.call('GET', '/v3/credentials?type=ec2', { token: t });
    expect(all.body.credentials.map((x: { id: string }) => x.id)).toEqual([cr.id]);
    expect((await f.call('GET', '/v3/credentials', { token: bob.token })).body.credentials).toEqual([]);
    expect((await f.call('GET', `/v3/credentials/${cr.id}`, { token: bob.token })).status).toBe(404);
    expect((await f.call('DELETE', `/v3/credentials/${cr.id}`, { token: bob.token })).status).toBe(404);

    const upd = await f.call('PATCH', `/v3/credentials/${cert.id}`, {
      token: t,
      body: { credential: { blob: 'y', project_id: alice.project.id } },
    });
    expect(upd.status).toBe(200);
    expect(upd.body.credential).toMatchObject({ id: cert.id, blob: 'y', project_id: alice.project.id });
    expect((await f.call('GET', `/v3/credentials/${cert.id}`, { token: alice.token })).body.credential.blob).toBe('y');
    expect((await f.call('DELETE', `/v3/credentials/${cert.id}`, { token: alice.token })).status).toBe(204);
    expect((await f.call('GET', `/v3/credentials/${cert.id}`, { token: t })).status).toBe(404);
  });

  it('serves OS-EC2 credentials of a user by access key', async () => {
    const f = await identityFixture();
    const alice = await member(f, 'alice');
    const bob = await member(f, 'bob');
    const base = `/v3/users/${alice.user.id}/credentials/OS-EC2`;
    const created = await f.call('POST', base, { token: alice.token, body: { tenant_id: alice.project.id } });
    expect(created.status).toBe(201);
    const ec2 = created.body.credential;
    expect(ec2).toMatchObject({ user_id: alice.user.id, tenant_id: alice.project.id, trust_id: null });
    expect(ec2.access).toMatch(/^[0-9a-f]{32}$/);
    expect(ec2.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(ec2.access).not.toBe(ec2.secret);
    expect((await f.call('GET', base, { token: alice.token })).body.credentials).toEqual([ec2]);
    expect((await f.call('GET', `${base}/${ec2.access}`, { token: alice.token })).body.credential).toEqual(ec2);
    // The generic API sees it as an ec2 credential.
    const generic = await f.call('GET', `/v3/credentials/${ec2Id(ec2.access)}`, { token: alice.token });
    expect(JSON.parse(generic.body.credential.blob)).toMatchObject({ access: ec2.access, secret: ec2.secret });
    expect((await f.call('GET', base, { token: bob.token })).status).toBe(403);
    expect((await f.call('POST', base, { token: alice.token, body: { tenant_id: 'nope' } })).status).toBe(404);
    expect((await f.call('POST', base, { token: alice.token, body: {} })).status).toBe(400);
    expect((await f.call('DELETE', `${base}/${ec2.access}`, { token: alice.token })).status).toBe(204);
    expect((await f.call('GET', `${base}/${ec2.access}`, { token: alice.token })).status).toBe(404);
    expect((await f.call('GET', '/v3/users/nope/credentials/OS-EC2', { token: f.adminToken })).status).toBe(404);
  });
});

describe('policies', () => {
  it('does CRUD for admins, reads for system readers, 403 for members', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const alice = await member(f, 'alice');
    const created = await f.call('POST', '/v3/policies', { token: t, body: { policy: { type: 'json', blob: '{}' } } });
    expect(created.status).toBe(201);
    const p = created.body.policy;
    expect(p).toMatchObject({ type: 'json', blob: '{}' });
    expect(p.links.self).toBe(`http://localhost/v3/policies/${p.id}`);
    expect((await f.call('POST', '/v3/policies', { token: t, body: { policy: { blob: 'x' } } })).status).toBe(400);
    expect((await f.call('GET', '/v3/policies?type=json', { token: t })).body.policies).toEqual([p]);
    expect((await f.call('GET', '/v3/policies', { token: alice.token })).status).toBe(403);
    const patch = { policy: { type: 'yaml' } };
    expect((await f.call('PATCH', `/v3/policies/${p.id}`, { token: alice.token, body: patch })).status).toBe(403);
    const upd = await f.call('PATCH', `/v3/policies/${p.id}`, { token: t, body: patch });
    expect(upd.body.policy).toMatchObject({ id: p.id, type: 'yaml', blob: '{}' });
    expect((await f.call('GET', `/v3/policies/${p.id}`, { token: t })).body.policy.type).toBe('yaml');
    expect((await f.call('DELETE', `/v3/policies/${p.id}`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `/v3/policies/${p.id}`, { token: t })).status).toBe(404);
  });
});

describe('credential cascade', () => {
  it('deletes a user with its credentials', async () => {
    const f = await identityFixture();
    const alice = await member(f, 'alice');
    const body = { credential: { user_id: alice.user.id, type: 'cert', blob: 'x' } };
    const cr = (await f.call('POST', '/v3/credentials', { token: f.adminToken, body })).body.credential;
    expect((await f.call('DELETE', `/v3/users/${alice.user.id}`, { token: f.adminToken })).status).toBe(204);
    expect((await f.call('GET', `/v3/credentials/${cr.id}`, { token: f.adminToken })).status).toBe(404);
  });
});
