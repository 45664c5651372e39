/**
 * Fake sites for the global API's tests and bench, runtime-neutral (they run inside workerd too, where a real site
 * cannot): each is a small Hono app that speaks just enough of a site — Keystone token issue signed with its own
 * key, the replicated JWKS, `/federation/v1/sites` and `/resources/{id}`, Nova servers, hypervisor statistics and a
 * Neutron network list. Sites are `http://<id>.fake` reached through {@link FakeFederation.fetch}.
 */
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Fetcher } from './proxy.ts';

/** A fake federation. */
export interface FakeFederation {
  ids: string[];
  urls: string[];
  /** Reaches the sites (refuses connections to those in `down`). */
  fetch: Fetcher;
  down: Set<string>;
  /** Sites that accept connections and never answer. */
  hang: Set<string>;
  /** Requests each site received. */
  hits: Map<string, number>;
  /** Free RAM (MB) reported by a site's hypervisor statistics. */
  freeRam: Map<string, number>;
}

const PROJECT = '0123456789abcdef0123456789abcdef';

/** Builds `n` fake sites `s1..sn` (region = site id). */
export async function createFakeFederation(n: number): Promise<FakeFederation> {
  const ids = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  const urls = ids.map((id) => `http://${id}.fake`);
  const keys = await Promise.all(
    ids.map(async (id) => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
      return {
        id,
        kid: `${id}-key`,
        privateKey,
        jwk: { ...(await exportJWK(publicKey)), kid: `${id}-key`, alg: 'EdDSA', use: 'sig' },
      };
    }),
  );
  const index = new Map<string, { site: string; name: string; status: string }>();
  const servers = new Map<string, Array<Record<string, unknown>>>(ids.map((id) => [id, []]));
  const fed: FakeFederation = {
    ids,
    urls,
    down: new Set(),
    hang: new Set(),
    hits: new Map(),
    freeRam: new Map(ids.map((id) => [id, 4096])),
    fetch: async () => new Response(null, { status: 500 }),
  };
  let seq = 0;
  const catalog = () =>
    [
      ['identity', '/v3'],
      ['compute', '/compute/v2.1'],
      ['network', '/network'],
    ].map(([type, path]) => ({
      id: `svc-${type}`,
      type,
      name: type,
      endpoints: ids.map((id, i) => ({
        id: `ep-${type}-${id}`,
        interface: 'public',
        region: id,
        region_id: id,
        url: `${urls[i]}${path}`,
      })),
    }));

  const apps = new Map<string, Hono>();
  ids.forEach((id, i) => {
    const key = keys[i];
    const app = new Hono();
    const mine = servers.get(id) ?? [];
    app.use('*', async (c, next) => {
      if (c.req.path === '/v3' || c.req.path.startsWith('/v3/auth/tokens') || c.req.path === '/federation/v1/keys')
        return next();
      if (!c.req.header('x-auth-token')) return c.json({ error: { code: 401 } }, 401);
      return next();
    });
    app.get('/v3', (c) =>
      c.json({ version: { id: 'v3.14', links: [{ rel: 'self', href: `${new URL(c.req.url).origin}/v3/` }] } }),
    );
    app.post('/v3/auth/tokens', async (c) => {
      if (!key) return c.json({}, 500);
      const token = await new SignJWT({ sub: 'u1', m: ['password'], a: ['x'], s: `p:${PROJECT}` })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key.privateKey);
      c.header('X-Subject-Token', token);
      return c.json({ token: { project: { id: PROJECT }, catalog: catalog() } }, 201);
    });
    app.get('/federation/v1/keys', (c) => c.json({ keys: keys.map((k) => k.jwk) }));
    app.get('/federation/v1/sites', (c) =>
      c.json({ sites: ids.map((s, j) => ({ id: s, name: s, region: s, url: urls[j] })) }),
    );
    app.get('/federation/v1/resources/:id', (c) => {
      const e = index.get(c.req.param('id'));
      if (!e) return c.json({ error: { code: 404 } }, 404);
      const reachable = !fed.down.has(e.site);
      return c.json({
        resource: {
          id: c.req.param('id'),
          type: 'server',
          site_id: e.site,
          project_id: PROJECT,
          name: e.name,
          status: e.status,
          updated_at: null,
          site_reachable: reachable,
          last_contact: null,
          age_seconds: reachable ? 0 : 42,
        },
      });
    });
    app.get('/compute/v2.1', (c) =>
      c.json({ version: { id: 'v2.1', links: [{ rel: 'self', href: `${new URL(c.req.url).origin}/compute/v2.1/` }] } }),
    );
    app.get('/compute/v2.1/servers', (c) => c.json({ servers: mine.map((s) => ({ id: s.id, name: s.name })) }));
    app.get('/compute/v2.1/servers/detail', (c) => c.json({ servers: mine }));
    app.get('/compute/v2.1/servers/:id', (c) => {
      const s = mine.find((x) => x.id === c.req.param('id'));
      return s ? c.json({ server: s }) : c.json({ itemNotFound: { code: 404, message: 'not found' } }, 404);
    });
    app.post('/compute/v2.1/servers', async (c) => {
      const body = (await c.req.json()) as { server?: { name?: string } };
      seq++;
      const sid = `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
      const s = { id: sid, name: body.server?.name ?? 'vm', status: 'ACTIVE', tenant_id: PROJECT };
      mine.push(s);
      index.set(sid, { site: id, name: s.name, status: 'ACTIVE' });
      return c.json(
        {
          server: {
            id: sid,
            links: [{ rel: 'self', href: `${new URL(c.req.url).origin}/compute/v2.1/servers/${sid}` }],
          },
        },
        202,
      );
    });
    app.get('/compute/v2.1/os-hypervisors/statistics', (c) =>
      c.json({
        hypervisor_statistics: { vcpus: 8, vcpus_used: 0, memory_mb: fed.freeRam.get(id) ?? 0, memory_mb_used: 0 },
      }),
    );
    // Each site holds one image, `img-<site>`.
    app.get('/image/v2/images/:id', (c) =>
      c.req.param('id') === `img-${id}` ? c.json({ id: `img-${id}`, status: 'active' }) : c.json({ code: '404' }, 404),
    );
    app.get('/network/v2.0/networks', (c) => c.json({ networks: [{ id: `net-${id}`, name: `net-${id}` }] }));
    apps.set(id, app);
  });
  fed.fetch = async (req) => {
    const site = new URL(req.url).hostname.split('.')[0] ?? '';
    if (fed.down.has(site)) throw new TypeError('fetch failed: connection refused');
    if (fed.hang.has(site)) return new Promise<Response>(() => {});
    fed.hits.set(site, (fed.hits.get(site) ?? 0) + 1);
    const app = apps.get(site);
    if (!app) throw new TypeError(`fetch failed: no host ${site}`);
    return app.fetch(req);
  };
  return fed;
}
