import { describe, expect, it } from 'vitest';
import { identityFixture } from './fixture.ts';

describe('delegated tokens (agents download a server’s image as its creator)', () => {
  it('issues a short-lived project-scoped token that validates until it expires', async () => {
    const f = await identityFixture();
    const me = await f.identity.tokens.validate(f.adminToken);
    const projectId = me.project?.id ?? '';
    const issue = f.identity.issueDelegatedToken;
    if (!issue) throw new Error('identity offers no delegated tokens');
    const token = await issue({ userId: me.userId, projectId, ttlMs: 60_000 });
    const auth = await f.identity.tokens.validate(token);
    expect(auth).toMatchObject({ userId: me.userId, project: { id: projectId }, methods: ['token'] });
    expect(auth.roles).toContain('admin');
    expect(auth.expiresAt - auth.issuedAt).toBe(60_000);
    const read = await f.call('GET', `/v3/projects/${projectId}`, { token });
    expect(read.status).toBe(200);
    f.deps.clock.advance(60_001);
    await expect(f.identity.tokens.validate(token)).rejects.toMatchObject({ code: 'identity.token_expired' });
  });

  it('refuses a user without a role on the project, and unknown users', async () => {
    const f = await identityFixture();
    const me = await f.identity.tokens.validate(f.adminToken);
    const other = await f.call('POST', '/v3/projects', { token: f.adminToken, body: { project: { name: 'p2' } } });
    expect(other.status).toBe(201);
    const issue = f.identity.issueDelegatedToken;
    if (!issue) throw new Error('identity offers no delegated tokens');
    await expect(issue({ userId: me.userId, projectId: other.body.project.id, ttlMs: 1000 })).rejects.toMatchObject({
      code: 'identity.no_roles_on_scope',
    });
    await expect(issue({ userId: 'nobody', projectId: me.project?.id ?? '', ttlMs: 1000 })).rejects.toMatchObject({
      code: 'identity.user_disabled',
    });
  });
});
