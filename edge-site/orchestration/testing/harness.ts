/** An orchestration module over a fake cloud, mounted like the site mounts it, for in-process API tests. */
import type { Hono } from 'hono';
import type { AppEnv } from '../../api/env.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import type { Dispatch } from '../cloud.ts';
import { createOrchestration, type OrchestrationModule } from '../index.ts';
import type { ResourceType } from '../resources/types.ts';
import { type FakeCloud, fakeCloud } from './fake-cloud.ts';

/** What tests use. */
export interface Harness {
  app: Hono<AppEnv>;
  module: OrchestrationModule;
  cloud: FakeCloud;
  deps: Awaited<ReturnType<typeof testDeps>>;
  token: string;
  project: string;
  /** JSON request with the test token; follows no redirects. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  /** Moves the manual clock (by `stepMs`, default 50) until every stack operation finished. */
  settle(stepMs?: number): Promise<void>;
  /** With `tokenTtlMs`: whether a token is known and unexpired now; the delegated tokens issued so far. */
  tokenValid(token: string): boolean;
  delegated: string[];
}

/** Builds the harness; `remote` answers requests for other sites. */
export async function orchestrationHarness(
  opts: {
    remote?: Dispatch;
    sites?: Array<{ id: string; url: string }>;
    /**
     * Tokens expire: the test token this long after the start, delegated ones (the identity can issue them) the
     * site's token TTL after they were issued; the local cloud answers 401 to an expired token.
     */
    tokenTtlMs?: number;
    types?: ReadonlyMap<string, ResourceType>;
  } = {},
): Promise<Harness> {
  const deps = await testDeps();
  for (const s of opts.sites ?? []) {
    await deps.catalog.put('sites', { id: s.id, name: s.id, region: s.id, url: s.url, created_at: 0, last_seen: 0 });
  }
  const tokens = fakeTokens();
  const ttl = opts.tokenTtlMs;
  const auth = {
    ...authFor({ roles: ['member', 'reader'] }),
    ...(ttl === undefined ? {} : { expiresAt: deps.clock.now() + ttl }),
  };
  tokens.add(auth);
  const expiry = new Map<string, number>([[auth.token, auth.expiresAt]]);
  const delegated: string[] = [];
  const tokenValid = (t: string) => deps.clock.now() < (expiry.get(t) ?? 0);
  const cloud = fakeCloud('local');
  const module = await createOrchestration(deps, {
    identity: {
      tokens,
      bootstrap: async () => {},
      ...(ttl === undefined
        ? {}
        : {
            async issueDelegatedToken({ userId, projectId, ttlMs }) {
              const token = `delegated-${delegated.length + 1}-${userId}-${projectId}`;
              delegated.push(token);
              expiry.set(token, deps.clock.now() + Math.min(ttlMs, deps.config.tokens.ttlSeconds * 1000));
              return token;
            },
          }),
    },
    // The module's own API (software configs) in-process, the rest from the fake cloud, as a site dispatches.
    local: async (r) => {
      if (ttl !== undefined && !tokenValid(r.headers.get('x-auth-token') ?? '')) {
        return Response.json({ error: { code: 401, message: 'The token has expired.' } }, { status: 401 });
      }
      return new URL(r.url).pathname.startsWith('/orchestration/') ? app.fetch(r) : cloud.app.fetch(r);
    },
    localUrl: () => 'http://site.test',
    pollMs: 50,
    ...(opts.remote ? { remote: opts.remote } : {}),
    ...(opts.types ? { types: opts.types } : {}),
  });
  const app = mountForTest(deps, '/orchestration', module.app);
  const project = 'p1';
  return {
    app,
    module,
    cloud,
    deps,
    token: auth.token,
    project,
    tokenValid,
    delegated,
    async call(method, path, body) {
      const url = path.startsWith('http') ? path : `http://site.test/orchestration/v1/${project}${path}`;
      const res = await app.request(url, {
        method,
        headers: { 'x-auth-token': auth.token, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    },
    async settle(stepMs = 50) {
      for (let i = 0; i < 2000; i++) {
        const done = await Promise.race([
          module.engine.settled().then(() => true),
          new Promise<boolean>((r) => setImmediate(() => r(false))),
        ]);
        if (done) return;
        deps.clock.advance(stepMs);
      }
      throw new Error('stack operations did not settle');
    },
  };
}
