import type { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';
import type { IdentityService, SiteDeps, SiteModule } from '../services.ts';
import { type ManualClock, mountForTest, testDeps } from '../testing/deps.ts';
import { createIdentity } from './index.ts';
import { issueTokenForTest } from './testing.ts';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are explored field by field; vitest checks the shapes.
type Json = any;

/** An identity module over test deps, bootstrapped (admin/secret on project admin), mounted like the site does. */
export interface IdentityFixture {
  deps: SiteDeps & { clock: ManualClock };
  identity: SiteModule & IdentityService;
  app: Hono<AppEnv>;
  adminToken: string;
  /** JSON request helper: returns status, headers and parsed body. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: Json }>;
}

/** Builds an {@link IdentityFixture} (for tests of identity and of modules that want real tokens). */
export async function identityFixture(): Promise<IdentityFixture> {
  const deps = await testDeps();
  const identity = await createIdentity(deps);
  await identity.bootstrap({
    adminUser: 'admin',
    adminPassword: 'secret',
    adminProject: 'admin',
    publicUrl: 'http://127.0.0.1:5000',
  });
  const app = mountForTest(deps, '/', identity.app);
  const adminToken = await issueTokenForTest(app, { user: 'admin', password: 'secret', project: 'admin' });
  const call: IdentityFixture['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers['x-auth-token'] = opts.token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      ...(opts.body !== undefined
        ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  return { deps, identity, app, adminToken, call };
}
