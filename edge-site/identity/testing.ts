import type { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';

/** Options of {@link issueTokenForTest}. */
export interface TestLogin {
  user: string;
  password: string;
  /** Project name (domain `default`) to scope to; omit for an unscoped token. */
  project?: string;
  /** Domain id of the user and project (default `default`). */
  domainId?: string;
}

/**
 * Gets a real token in-process through POST /v3/auth/tokens of `app` (a whole site's app, or identity mounted at
 * `/`). Throws with the response body when authentication fails.
 */
export async function issueTokenForTest(app: Hono<AppEnv>, login: TestLogin): Promise<string> {
  const domain = { id: login.domainId ?? 'default' };
  const res = await app.request('/v3/auth/tokens?nocatalog', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: login.user, domain, password: login.password } } },
        ...(login.project ? { scope: { project: { name: login.project, domain } } } : {}),
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`token issue failed (${res.status}): ${await res.text()}`);
  return token;
}
