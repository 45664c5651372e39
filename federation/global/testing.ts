/**
 * The global API in front of N whole in-process federated sites (tests, bench): sites at `http://<id>.test:5000`
 * reached through a fetch stub that calls each site's Hono app, with switches to take a site off the network.
 */
import { silentLogger } from '../../shared/ports/logger.ts';
import { ADMIN_PASSWORD, createSiteFederation, type SiteFederation } from '../site/testing.ts';
import { createGlobalApp, type GlobalState } from './app.ts';
import { type GlobalConfig, parseGlobalConfig } from './config.ts';

/** The global API and its sites. */
export interface GlobalFixture {
  fed: SiteFederation;
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> };
  state: GlobalState;
  /** Sites whose connections are refused (as a stopped process). */
  down: Set<string>;
  /** Every request sent to a site: `<site> <method> <path>` and its headers. */
  calls: Array<{ site: string; method: string; path: string; headers: Headers }>;
  /** Issues an admin token through the global API; returns the response and its token. */
  login(): Promise<{ res: Response; token: string }>;
  close(): Promise<void>;
}

/** Starts sites `ids` and a global API that knows only the first one. */
export async function createGlobalFixture(
  ids: readonly string[],
  overrides: Partial<GlobalConfig> = {},
): Promise<GlobalFixture> {
  const fed = await createSiteFederation(ids);
  const down = new Set<string>();
  const calls: GlobalFixture['calls'] = [];
  const parsed = parseGlobalConfig({
    sites: [`http://${ids[0]}.test:5000`],
    publicUrl: 'http://global.test',
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.diagnostics.join('; '));
  const { app, state } = createGlobalApp({
    config: parsed.config,
    now: () => fed.clock.now(),
    log: silentLogger,
    fetch: async (req) => {
      const u = new URL(req.url);
      const site = u.hostname.split('.')[0] ?? '';
      calls.push({ site, method: req.method, path: u.pathname + u.search, headers: req.headers });
      if (down.has(site)) throw new TypeError('fetch failed: connection refused');
      return fed.site(site).app.fetch(req);
    },
  });
  const fixture: GlobalFixture = {
    fed,
    app,
    state,
    down,
    calls,
    async login() {
      const res = await app.request('http://global.test/v3/auth/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } },
            },
            scope: { project: { name: 'admin', domain: { id: 'default' } } },
          },
        }),
      });
      return { res, token: res.headers.get('x-subject-token') ?? '' };
    },
    close: () => fed.close(),
  };
  return fixture;
}
