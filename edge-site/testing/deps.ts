import { Hono } from 'hono';
import { parseSiteConfig, type SiteConfig } from '../../shared/config.ts';
import { unauthorized } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { seededIds } from '../../shared/ports/ids.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { memoryCatalogStore } from '../../shared/testing/memory-catalog-store.ts';
import type { AppEnv, AuthContext } from '../api/env.ts';
import { errorResponse, notFoundResponse } from '../api/errors.ts';
import type { TokenValidator } from '../api/middleware/auth.ts';
import { requestContext } from '../api/middleware/request-context.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createMetrics } from '../ops/metrics.ts';
import type { SiteDeps } from '../services.ts';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that only moves when told; `sleep` resolves when the clock passes the deadline. */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const sleepers: Array<{ at: number; resolve: () => void }> = [];
  const timers = new Set<{ every: number; next: number; fn: () => void }>();
  const fire = () => {
    for (const s of [...sleepers]) {
      if (s.at <= now) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.resolve();
      }
    }
    for (const t of timers) {
      while (t.next <= now) {
        t.next += t.every;
        t.fn();
      }
    }
  };
  return {
    now: () => now,
    sleep: (ms) => new Promise((resolve) => sleepers.push({ at: now + ms, resolve })),
    every(ms, fn) {
      const t = { every: ms, next: now + ms, fn };
      timers.add(t);
      return () => timers.delete(t);
    },
    advance(ms) {
      now += ms;
      fire();
    },
    set(ms) {
      now = ms;
      fire();
    },
  };
}

/** A fully defaulted site config for tests (ephemeral ports, given data dir). */
export function testConfig(overrides: Record<string, unknown> = {}): SiteConfig {
  const r = parseSiteConfig({
    site: 'test',
    dataDir: '/tmp/brume-test-unused',
    api: { port: 0, publicUrl: 'http://127.0.0.1:5000' },
    mqtt: { port: 0 },
    ...overrides,
  });
  if (!r.ok) throw new Error(r.diagnostics.join('; '));
  return r.config;
}

/** SiteDeps over an in-memory SQLite database (migrated), a memory catalog, seeded ids and a manual clock. */
export async function testDeps(overrides: Partial<SiteDeps> = {}): Promise<SiteDeps & { clock: ManualClock }> {
  const clock = (overrides.clock as ManualClock | undefined) ?? manualClock();
  const db = await openDatabase(':memory:');
  await migrateDatabase(db);
  return {
    config: testConfig(),
    ids: seededIds(42, () => clock.now()),
    log: silentLogger,
    catalog: memoryCatalogStore(),
    metrics: createMetrics(),
    db,
    ...overrides,
    clock,
  };
}

/** An AuthContext for tests; defaults to a `member` of project `p1` (user `u1`). */
export function authFor(
  init: Partial<AuthContext> & { roles?: string[]; projectId?: string | null } = {},
): AuthContext {
  const projectId = init.projectId === undefined ? 'p1' : init.projectId;
  const roles = init.roles ?? ['member', 'reader'];
  const expanded = new Set(roles);
  if (expanded.has('admin')) expanded.add('member');
  if (expanded.has('member')) expanded.add('reader');
  return {
    token: init.token ?? `token-${init.userId ?? 'u1'}-${projectId ?? 'none'}`,
    userId: init.userId ?? 'u1',
    userName: init.userName ?? 'user1',
    userDomainId: 'default',
    userDomainName: 'Default',
    ...(projectId === null
      ? {}
      : { project: init.project ?? { id: projectId, name: projectId, domainId: 'default', domainName: 'Default' } }),
    roles: [...expanded],
    roleIds: [...expanded],
    methods: ['password'],
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
    auditIds: ['audit'],
    ...(init.system === undefined ? {} : { system: init.system }),
    ...(init.domain === undefined ? {} : { domain: init.domain }),
  };
}

/** A TokenValidator over a fixed table of token -> caller (tests of modules other than identity). */
export function fakeTokens(table: Record<string, AuthContext> = {}): TokenValidator & {
  add(auth: AuthContext): string;
} {
  const map = new Map(Object.entries(table));
  return {
    async validate(token) {
      const a = map.get(token);
      if (!a) throw unauthorized('identity.token_invalid', 'The request you have made requires authentication.');
      return a;
    },
    add(auth) {
      map.set(auth.token, auth);
      return auth.token;
    },
  };
}

/** Mounts a module's app under `prefix` with the site's request context, error handling and 404s, like the site does. */
export function mountForTest(deps: SiteDeps, prefix: string, app: Hono<AppEnv>): Hono<AppEnv> {
  const root = new Hono<AppEnv>();
  root.use(requestContext(deps));
  root.route(prefix, app);
  root.notFound(notFoundResponse);
  root.onError(errorResponse);
  return root;
}
