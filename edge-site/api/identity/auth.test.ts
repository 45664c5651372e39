import { describe, expect, it } from 'vitest';
import { identityFixture } from '../../identity/fixture.ts';
import { issueTokenForTest } from '../../identity/testing.ts';

const ISO_MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function passwordAuth(user: Record<string, unknown>, password: string, scope?: unknown) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { ...user, password } } },
      ...(scope === undefined ? {} : { scope }),
    },
  };
}

/** A fixture with a `demo` project, a member user `alice` and a domain `dom2` where alice is admin. */
async function setup() {
  const f = await identityFixture();
  const t = f.adminToken;
  const project = (await f.call('POST', '/v3/projects', { token: t, body: { project: { name: 'demo' } } })).body
    .project;
  const user = (
    await f.call('POST', '/v3/users', { token: t, body: { user: { name: 'alice', password: 'pw-alice' } } })
  ).body.user;
  const roles = (await f.call('GET', '/v3/roles', { token: t })).body.roles as Array<{ id: string; name: string }>;
  const role = (name: string) => roles.find((r) => r.name === name)?.id as string;
  expect(
    (await f.call('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role('member')}`, { token: t })).status,
  ).toBe(204);
  return { ...f, project, user, role };
}

describe('version documents', () => {
  it('serves / as 300 Multiple Choices and /v3 as 200, with JSON Home on request', async () => {
    const f = await identityFixture();
    const root = await f.call('GET', '/');
    expect(root.status).toBe(300);
    expect(root.body.versions.values[0]).toMatchObject({ id: 'v3.14', status: 'stable' });
    expect(root.body.versions.values[0].links[0].href).toBe('http://localhost/v3/');
    const v3 = await f.call('GET', '/v3');
    expect(v3.status).toBe(200);
    expect(v3.body.version['media-types'][0].type).toBe('application/vnd.openstack.identity-v3+json');
    const home = await f.call('GET', '/v3', { headers: { accept: 'application/json-home' } });
    expect(home.headers.get('content-type')).toBe('application/json-home');
    expect(Object.keys(home.body.resources)).toContain(
      'https://docs.openstack.org/api/openstack-identity/3/rel/auth_tokens',
    );
  });
});

describe('POST /v3/auth/tokens', () => {
  it('issues a project-scoped token by user name and domain name with the full keystone document', async () => {
    const f = await setup();
    const r = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'alice', domain: { name: 'Default' } }, 'pw-alice', {
        project: { name: 'demo', domain: { id: 'default' } },
      }),
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-subject-token')).toMatch(/^ey/);
    const tok = r.body.token;
    expect(tok.methods).toEqual(['password']);
    expect(tok.user).toEqual({
      id: f.user.id,
      name: 'alice',
      domain: { id: 'default', name: 'Default' },
      password_expires_at: null,
    });
    expect(tok.project).toEqual({ id: f.project.id, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(tok.is_domain).toBe(false);
    expect(tok.issued_at).toMatch(ISO_MICRO);
    expect(tok.expires_at).toBe('2026-01-01T01:00:00.000000Z');
    expect(tok.audit_ids).toHaveLength(1);
    expect(tok.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);
    const types = tok.catalog.map((s: { type: string; name: string }) => `${s.type}:${s.name}`).sort();
    expect(types).toEqual([
      'block-storage:cinder',
      'compute:nova',
      'identity:keystone',
      'image:glance',
      'network:neutron',
      'orchestration:heat',
      'volumev3:cinderv3',
    ]);
    // Keystone substitutes the token's project into templated endpoint URLs.
    const cinder = tok.catalog.find((s: { type: string }) => s.type === 'volumev3');
    expect(cinder.endpoints[0].url).toBe(`http://127.0.0.1:5000/volume/v3/${f.project.id}`);
    const nova = tok.catalog.find((s: { type: string }) => s.type === 'compute');
    expect(nova.id).toMatch(/^[0-9a-f]{32}$/);
    const pub = nova.endpoints.filter((e: { interface: string }) => e.interface === 'public');
    expect(pub).toEqual([
      {
        id: expect.any(String),
        interface: 'public',
        region: 'test',
        region_id: 'test',
        url: 'http://127.0.0.1:5000/compute/v2.1',
      },
    ]);
  });

  it('issues by user id and project id; ?nocatalog leaves the catalog out', async () => {
    const f = await setup();
    const r = await f.call('POST', '/v3/auth/tokens?nocatalog', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', { project: { id: f.project.id } }),
    });
    expect(r.status).toBe(201);
    expect(r.body.token.catalog).toBeUndefined();
    expect(r.body.token.project.id).toBe(f.project.id);
  });

  it('issues unscoped, domain-scoped and system-scoped tokens', async () => {
    const f = await setup();
    const unscoped = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'alice', domain: { id: 'default' } }, 'pw-alice'),
    });
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.project).toBeUndefined();
    expect(unscoped.body.token.roles).toBeUndefined();
    expect(unscoped.body.token.catalog).toBeUndefined();

    expect(
      (await f.call('PUT', `/v3/domains/default/users/${f.user.id}/roles/${f.role('reader')}`, { token: f.adminToken }))
        .status,
    ).toBe(204);
    const dom = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', { domain: { name: 'Default' } }),
    });
    expect(dom.status).toBe(201);
    expect(dom.body.token.domain).toEqual({ id: 'default', name: 'Default' });
    expect(dom.body.token.roles.map((x: { name: string }) => x.name)).toEqual(['reader']);

    const sys = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'admin', domain: { id: 'default' } }, 'secret', { system: { all: true } }),
    });
    expect(sys.status).toBe(201);
    expect(sys.body.token.system).toEqual({ all: true });
    expect(sys.body.token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['admin', 'member', 'reader']);
    // alice has no system role.
    const denied = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', { system: { all: true } }),
    });
    expect(denied.status).toBe(401);
  });

  it('rescopes with the token method, keeping the audit chain and the original expiry', async () => {
    const f = await setup();
    const first = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', 'unscoped'),
    });
    f.deps.clock.advance(60_000);
    const r = await f.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: first.headers.get('x-subject-token') } },
          scope: { project: { id: f.project.id } },
        },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.token.methods).toEqual(['token', 'password']);
    expect(r.body.token.audit_ids).toEqual([expect.any(String), first.body.token.audit_ids[0]]);
    expect(r.body.token.expires_at).toBe(first.body.token.expires_at);
    expect(r.body.token.project.id).toBe(f.project.id);
  });

  it('refuses bad credentials with 401 and WWW-Authenticate, and malformed requests with 400', async () => {
    const f = await setup();
    const bad = await f.call('POST', '/v3/auth/tokens', { body: passwordAuth({ id: f.user.id }, 'wrong') });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('Keystone uri=');
    expect(bad.body.error.code).toBe(401);
    const unknown = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ name: 'nobody', domain: { id: 'default' } }, 'x'),
    });
    expect(unknown.status).toBe(401);
    const noRole = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', { project: { name: 'admin', domain: { id: 'default' } } }),
    });
    expect(noRole.status).toBe(401);
    const malformed = await f.call('POST', '/v3/auth/tokens', { body: { auth: { identity: {} } } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain('auth.identity.methods');
    expect((await f.call('POST', '/v3/auth/tokens', { body: '{not json' })).status).toBe(400);
  });
});

describe('token validation', () => {
  async function aliceToken(f: Awaited<ReturnType<typeof setup>>) {
    const r = await f.call('POST', '/v3/auth/tokens', {
      body: passwordAuth({ id: f.user.id }, 'pw-alice', { project: { id: f.project.id } }),
    });
    return r.headers.get('x-subject-token') as string;
  }

  it('GET/HEAD validate the subject token; DELETE revokes it everywhere', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    const got = await f.call('GET', '/v3/auth/tokens', { token: f.adminToken, headers: { 'x-subject-token': tok } });
    expect(got.status).toBe(200);
    expect(got.headers.get('x-subject-token')).toBe(tok);
    expect(got.body.token.user.name).toBe('alice');
    expect((await f.call('HEAD', '/v3/auth/tokens', { token: tok, headers: { 'x-subject-token': tok } })).status).toBe(
      200,
    );
    expect(
      (await f.call('DELETE', '/v3/auth/tokens', { token: tok, headers: { 'x-subject-token': tok } })).status,
    ).toBe(204);
    expect(f.deps.catalog.list('revocations')).toHaveLength(1);
    expect(
      (await f.call('GET', '/v3/auth/tokens', { token: f.adminToken, headers: { 'x-subject-token': tok } })).status,
    ).toBe(404);
    expect((await f.call('GET', '/v3/auth/catalog', { token: tok })).status).toBe(401);
    await expect(f.identity.tokens.validate(tok)).rejects.toMatchObject({ code: 'identity.token_revoked' });
  });

  it('refuses expired tokens (manual clock)', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    f.deps.clock.advance(3600_000 - 1);
    await expect(f.identity.tokens.validate(tok)).resolves.toMatchObject({ userName: 'alice' });
    f.deps.clock.advance(1);
    await expect(f.identity.tokens.validate(tok)).rejects.toMatchObject({ code: 'identity.token_expired' });
    const admin = await issueTokenForTest(f.app, { user: 'admin', password: 'secret', project: 'admin' });
    expect((await f.call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': tok } })).status).toBe(
      404,
    );
    expect((await f.call('GET', '/v3/auth/catalog', { token: tok })).status).toBe(401);
  });

  it('refuses tokens of disabled users and of disabled projects', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    await f.call('PATCH', `/v3/users/${f.user.id}`, { token: f.adminToken, body: { user: { enabled: false } } });
    await expect(f.identity.tokens.validate(tok)).rejects.toMatchObject({ kind: 'unauthorized' });
    await f.call('PATCH', `/v3/users/${f.user.id}`, { token: f.adminToken, body: { user: { enabled: true } } });
    const tok2 = await aliceToken(f);
    await f.call('PATCH', `/v3/projects/${f.project.id}`, {
      token: f.adminToken,
      body: { project: { enabled: false } },
    });
    await expect(f.identity.tokens.validate(tok2)).rejects.toMatchObject({ code: 'identity.scope_disabled' });
  });

  it('computes roles from current assignments: removing the grant takes effect at once', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    await expect(f.identity.tokens.validate(tok)).resolves.toMatchObject({ roles: ['member', 'reader'] });
    await f.call('PUT', `/v3/projects/${f.project.id}/users/${f.user.id}/roles/${f.role('admin')}`, {
      token: f.adminToken,
    });
    expect((await f.identity.tokens.validate(tok)).roles.sort()).toEqual(['admin', 'member', 'reader']);
    await f.call('DELETE', `/v3/projects/${f.project.id}/users/${f.user.id}/roles/${f.role('admin')}`, {
      token: f.adminToken,
    });
    await f.call('DELETE', `/v3/projects/${f.project.id}/users/${f.user.id}/roles/${f.role('member')}`, {
      token: f.adminToken,
    });
    await expect(f.identity.tokens.validate(tok)).rejects.toMatchObject({ code: 'identity.no_roles_on_scope' });
  });

  it('refuses tampered signatures and unknown keys', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    const [h, p, s] = tok.split('.');
    const flipped = `${h}.${p}.${(s as string).startsWith('A') ? 'B' : 'A'}${(s as string).slice(1)}`;
    await expect(f.identity.tokens.validate(flipped)).rejects.toMatchObject({ kind: 'unauthorized' });
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'x', m: [], a: [], iat: 1, exp: 9e9 })).toString('base64url')}.${s}`;
    await expect(f.identity.tokens.validate(forged)).rejects.toMatchObject({ kind: 'unauthorized' });
    const otherKid = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'elsewhere' })).toString('base64url')}.${p}.${s}`;
    await expect(f.identity.tokens.validate(otherKid)).rejects.toMatchObject({ code: 'identity.token_unknown_key' });
    await expect(f.identity.tokens.validate('garbage')).rejects.toMatchObject({ kind: 'unauthorized' });
    expect((await f.call('GET', '/v3/users', { token: 'garbage' })).status).toBe(401);
    expect((await f.call('GET', '/v3/users')).status).toBe(401);
  });

  it('a password change revokes older tokens but not the next login', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    const r = await f.call('POST', `/v3/users/${f.user.id}/password`, {
      token: tok,
      body: { user: { original_password: 'pw-alice', password: 'pw-new' } },
    });
    expect(r.status).toBe(204);
    await expect(f.identity.tokens.validate(tok)).rejects.toMatchObject({ code: 'identity.token_revoked' });
    const next = await f.call('POST', '/v3/auth/tokens', { body: passwordAuth({ id: f.user.id }, 'pw-new') });
    expect(next.status).toBe(201);
    await expect(f.identity.tokens.validate(next.headers.get('x-subject-token') as string)).resolves.toBeTruthy();
    expect(
      (await f.call('POST', '/v3/auth/tokens', { body: passwordAuth({ id: f.user.id }, 'pw-alice') })).status,
    ).toBe(401);
  });

  it('validates a token signed by another site from the replicated signing key', async () => {
    const f = await setup();
    const tok = await aliceToken(f);
    // A second identity over the same catalog (another site's view) verifies without the signer's private key.
    const { createIdentity } = await import('../../identity/index.ts');
    const { testDeps } = await import('../../testing/deps.ts');
    const other = await createIdentity(await testDeps({ catalog: f.deps.catalog, clock: f.deps.clock }));
    await expect(other.tokens.validate(tok)).resolves.toMatchObject({ userName: 'alice' });
  });
});

describe('/v3/auth/*', () => {
  it('lists the catalog, projects, domains and system a token may scope to', async () => {
    const f = await setup();
    const t = f.adminToken;
    expect((await f.call('GET', '/v3/auth/catalog', { token: t })).body.catalog).toHaveLength(7);
    const projects = (await f.call('GET', '/v3/auth/projects', { token: t })).body.projects;
    expect(projects.map((p: { name: string }) => p.name)).toEqual(['admin']);
    expect((await f.call('GET', '/v3/auth/domains', { token: t })).body.domains).toEqual([]);
    expect((await f.call('GET', '/v3/auth/system', { token: t })).body.system).toEqual([{ all: true }]);
  });
});
