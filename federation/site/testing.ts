/**
 * N whole federated edge sites in one process (tests): SQLite in memory, one memory network, one manual clock,
 * identity bootstrapped at every site concurrently (before any sync, as three sites started at once would).
 */
import { type ManualClock, manualClock } from '../../edge-site/testing/deps.ts';
import { parseSiteConfig } from '../../shared/config.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../transports/memory.ts';
import { createFederatedSite, type FederatedSite } from './federated-site.ts';

/** The admin password of every test site. */
export const ADMIN_PASSWORD = 'adminpw';

/** A federation of whole sites. */
export interface SiteFederation {
  clock: ManualClock;
  net: MemoryNetwork;
  site(id: string): FederatedSite;
  /** Delivers messages and runs `ticks` sync periods (flushing stores between them). */
  settle(ticks?: number): Promise<void>;
  /** Stops one site (its endpoint goes down for the others). */
  stop(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts sites named `ids`, bootstraps each, then lets them sync. */
export async function createSiteFederation(ids: readonly string[]): Promise<SiteFederation> {
  const clock = manualClock();
  const net = createMemoryNetwork({ clock });
  const sites = new Map<string, FederatedSite>();
  const stopped = new Set<string>();
  for (const id of ids) {
    const parsed = parseSiteConfig({
      site: id,
      dataDir: '/nonexistent',
      api: { port: 0, publicUrl: `http://${id}.test:5000` },
      mqtt: { port: 0 },
      federation: { enabled: true, transport: 'none', heartbeatSeconds: 5, syncIntervalMs: 1000 },
    });
    if (!parsed.ok) throw new Error(parsed.diagnostics.join('; '));
    const site = await createFederatedSite({
      config: parsed.config,
      clock,
      dbPath: ':memory:',
      transport: net.endpoint(id),
    });
    sites.set(id, site);
  }
  // Concurrently: each bootstraps its own catalog before hearing of the others.
  net.partition(ids.map((id) => [id]));
  for (const [id, site] of sites) {
    await site.identity.bootstrap({
      adminUser: 'admin',
      adminPassword: ADMIN_PASSWORD,
      adminProject: 'admin',
      publicUrl: `http://${id}.test:5000`,
    });
  }
  net.heal();

  const fed: SiteFederation = {
    clock,
    net,
    site(id) {
      const s = sites.get(id);
      if (!s) throw new Error(`no site ${id}`);
      return s;
    },
    async settle(ticks = 3) {
      await net.settle();
      for (let i = 0; i < ticks; i++) {
        clock.advance(1000);
        await net.settle();
        for (const [id, s] of sites) if (!stopped.has(id)) await s.store.flush();
        await net.settle();
      }
    },
    async stop(id) {
      if (stopped.has(id)) return;
      stopped.add(id);
      await fed.site(id).stop();
      await net.settle();
    },
    async close() {
      for (const id of sites.keys()) await fed.stop(id);
    },
  };
  await fed.settle();
  return fed;
}

/** Issues a project-scoped password token at `site`; returns the response (token in `X-Subject-Token`). */
export function issueToken(site: FederatedSite, user: string, password: string, project: string): Promise<Response> {
  return Promise.resolve(
    site.app.request('/v3/auth/tokens', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { id: 'default' }, password } },
          },
          scope: { project: { name: project, domain: { id: 'default' } } },
        },
      }),
    }),
  );
}

/** An admin token issued at `site`. */
export async function adminToken(site: FederatedSite): Promise<string> {
  const r = await issueToken(site, 'admin', ADMIN_PASSWORD, 'admin');
  const token = r.headers.get('x-subject-token');
  if (r.status !== 201 || !token) throw new Error(`admin token at ${site.config.site}: ${r.status} ${await r.text()}`);
  return token;
}
