import { describe, expect, it } from 'vitest';
import { testDeps } from '../testing/deps.ts';
import { createIdentity } from './index.ts';

const input = {
  adminUser: 'admin',
  adminPassword: 'secret',
  adminProject: 'admin',
  publicUrl: 'http://127.0.0.1:5000',
};

describe('bootstrap', () => {
  it('is idempotent and seeds domain, roles with implications, admin, region, catalog and the signing key', async () => {
    const deps = await testDeps();
    const identity = await createIdentity(deps);
    await identity.bootstrap(input);
    const count = () =>
      (
        [
          'domains',
          'projects',
          'users',
          'roles',
          'implied_roles',
          'role_assignments',
          'services',
          'endpoints',
          'regions',
        ] as const
      ).map((c) => deps.catalog.list(c).length);
    const first = count();
    expect(first).toEqual([1, 2, 1, 3, 2, 2, 7, 21, 1]);
    await identity.bootstrap(input);
    expect(count()).toEqual(first);
    expect(deps.catalog.get('domains', 'default')?.name).toBe('Default');
    expect(deps.catalog.list('signing_keys')).toHaveLength(1);
    const perService = new Map<string, number>();
    for (const e of deps.catalog.list('endpoints')) {
      if (e.interface === 'public') perService.set(e.service_id, (perService.get(e.service_id) ?? 0) + 1);
    }
    expect([...perService.values()]).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('follows a changed public URL and restores the configured admin password', async () => {
    const deps = await testDeps();
    const identity = await createIdentity(deps);
    await identity.bootstrap(input);
    const hash = deps.catalog.list('users')[0]?.password_hash;
    await identity.bootstrap({ ...input, publicUrl: 'http://127.0.0.1:6000/', adminPassword: 'changed' });
    const urls = deps.catalog.list('endpoints').map((e) => e.url);
    expect(urls).toContain('http://127.0.0.1:6000/v3');
    expect(urls.every((u) => u.startsWith('http://127.0.0.1:6000/'))).toBe(true);
    expect(deps.catalog.list('users')[0]?.password_hash).not.toBe(hash);
  });

  it('keeps the signing key across restarts (same database)', async () => {
    const deps = await testDeps();
    const a = await createIdentity(deps);
    await a.bootstrap(input);
    await createIdentity(deps);
    expect(deps.catalog.list('signing_keys')).toHaveLength(1);
  });
});
