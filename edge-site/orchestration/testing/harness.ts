/** An orchestration module over a fake cloud, mounted like the site mounts it, for in-process API tests. */
import type { Hono } from 'hono';
import type { AppEnv } from '../../api/env.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import type { Dispatch } from '../cloud.ts';
import { createOrchestration, type OrchestrationModule } from '../index.ts';
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
  /** Moves the manual clock until every stack operation finished. */
  settle(): Promise<void>;
}

/** Builds the harness; `remote` answers requests for other sites. */
export async function orchestrationHarness(
  opts: { remote?: Dispatch; sites?: Array<{ id: string; url: string }> } = {},
): Promise<Harness> {
  const deps = await testDeps();
  for (const s of opts.sites ?? []) {
    await deps.catalog.put('sites', { id: s.id, name: s.id, region: s.id, url: s.url, created_at: 0, last_seen: 0 });
  }
  const tokens = fakeTokens();
  const auth = authFor({ roles: ['member', 'reader'] });
  tokens.add(auth);
  const cloud = fakeCloud('local');
  const module = await createOrchestration(deps, {
    identity: { tokens, bootstrap: async () => {} },
    // The module's own API (software configs) in-process, the rest from the fake cloud, as a site dispatches.
    local: async (r) => (new URL(r.url).pathname.startsWith('/orchestration/') ? app.fetch(r) : cloud.app.fetch(r)),
    localUrl: () => 'http://site.test',
    pollMs: 50,
    ...(opts.remote ? { remote: opts.remote } : {}),
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
    async settle() {
      for (let i = 0; i < 2000; i++) {
        const done = await Promise.race([
          module.engine.settled().then(() => true),
          new Promise<boolean>((r) => setImmediate(() => r(false))),
        ]);
        if (done) return;
        deps.clock.advance(50);
      }
      throw new Error('stack operations did not settle');
    },
  };
}
