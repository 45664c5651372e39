import { describe, expect, it } from 'vitest';
import { identityFixture } from '../../identity/fixture.ts';

describe('domain configuration', () => {
  it('creates, reads by group and option, merges updates, hides sensitive options, deletes', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const d = (await f.call('POST', '/v3/domains', { token: t, body: { domain: { name: 'ldapd' } } })).body.domain;
    const base = `/v3/domains/${d.id}/config`;
    expect((await f.call('GET', base, { token: t })).status).toBe(404);
    const config = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://x', password: 'pw' } };
    const created = await f.call('PUT', base, { token: t, body: { config } });
    expect(created.status).toBe(201);
    expect(created.body.config).toEqual({ identity: { driver: 'ldap' }, ldap: { url: 'ldap://x' } });
    expect((await f.call('PUT', base, { token: t, body: { config } })).status).toBe(200);
    expect((await f.call('PUT', base, { token: t, body: { config: { nova: { a: 1 } } } })).status).toBe(403);
    const badOpt = { config: { ldap: { colour: 'red' } } };
    expect((await f.call('PATCH', base, { token: t, body: badOpt })).status).toBe(403);
    expect((await f.call('GET', `${base}/ldap`, { token: t })).body.config).toEqual({ ldap: { url: 'ldap://x' } });
    expect((await f.call('GET', `${base}/ldap/url`, { token: t })).body.config).toEqual({ url: 'ldap://x' });
    expect((await f.call('GET', `${base}/ldap/user`, { token: t })).status).toBe(404);

    const grp = await f.call('PATCH', `${base}/identity`, {
      token: t,
      body: { config: { identity: { list_limit: 5 } } },
    });
    expect(grp.body.config.identity).toEqual({ driver: 'ldap', list_limit: 5 });
    const wrong = { config: { ldap: { url: 'y' } } };
    expect((await f.call('PATCH', `${base}/identity`, { token: t, body: wrong })).status).toBe(400);
    const opt = await f.call('PATCH', `${base}/identity/driver`, { token: t, body: { config: { driver: 'sql' } } });
    expect(opt.body.config.identity.driver).toBe('sql');
    expect((await f.call('DELETE', `${base}/identity/driver`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `${base}/identity/driver`, { token: t })).status).toBe(404);
    expect((await f.call('DELETE', `${base}/identity`, { token: t })).status).toBe(204);
    expect((await f.call('GET', `${base}/identity`, { token: t })).status).toBe(404);
    expect((await f.call('DELETE', base, { token: t })).status).toBe(204);
    expect((await f.call('GET', base, { token: t })).status).toBe(404);
    expect((await f.call('PUT', '/v3/domains/nope/config', { token: t, body: { config } })).status).toBe(404);
  });

  it('serves the defaults and removes a domain config with its domain', async () => {
    const f = await identityFixture();
    const t = f.adminToken;
    const defaults = (await f.call('GET', '/v3/domains/config/default', { token: t })).body.config;
    expect(Object.keys(defaults).sort()).toEqual(['identity', 'ldap']);
    expect((await f.call('GET', '/v3/domains/config/identity/default', { token: t })).body.config).toEqual({
      identity: { driver: 'sql', list_limit: null },
    });
    const opt = await f.call('GET', '/v3/domains/config/ldap/url/default', { token: t });
    expect(opt.body.config).toEqual({ url: 'ldap://localhost' });
    expect((await f.call('GET', '/v3/domains/config/nova/default', { token: t })).status).toBe(403);

    const d = (await f.call('POST', '/v3/domains', { token: t, body: { domain: { name: 'gone' } } })).body.domain;
    const body = { config: { identity: { driver: 'ldap' } } };
    expect((await f.call('PUT', `/v3/domains/${d.id}/config`, { token: t, body })).status).toBe(201);
    await f.call('PATCH', `/v3/domains/${d.id}`, { token: t, body: { domain: { enabled: false } } });
    expect((await f.call('DELETE', `/v3/domains/${d.id}`, { token: t })).status).toBe(204);
    expect(f.deps.catalog.get('domain_configs', d.id)).toBeUndefined();
  });
});
