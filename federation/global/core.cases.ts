/**
 * The global API's core routing cases against fake sites, run twice: on Node (core.test.ts) and inside workerd
 * with Cloudflare's Vitest integration (core.workerd.test.ts), so the Worker build is held to the same behaviour.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { beforeEach, expect, it, vi } from 'vitest';
import { silentLogger } from '../../shared/ports/logger.ts';
import { createGlobalApp } from './app.ts';
import { parseGlobalConfig } from './config.ts';
import { createFakeFederation, type FakeFederation } from './fake-sites.ts';

const G = 'https://global.example';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
type Json = any;

/** Registers the cases in the current file. */
export function coreRoutingCases(): void {
  let fed: FakeFederation;
  let app: ReturnType<typeof createGlobalApp>['app'];
  let now = 1_800_000_000_000;
  let token = '';
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await app.request(`${G}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Json };
  };

  beforeEach(async () => {
    fed = await createFakeFederation(3);
    now = Date.UTC(2026, 10, 22);
    const parsed = parseGlobalConfig({ sites: [fed.urls[0]], cooldownMs: 1000 });
    if (!parsed.ok) throw new Error(parsed.diagnostics.join());
    ({ app } = createGlobalApp({ config: parsed.config, fetch: fed.fetch, now: () => now, log: silentLogger }));
    const r = await app.request(`${G}/v3/auth/tokens`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(201);
    token = r.headers.get('x-subject-token') ?? '';
    const body = (await r.json()) as Json;
    const compute = body.token.catalog.find((s: Json) => s.type === 'compute');
    expect(compute.endpoints.map((e: Json) => e.url)).toEqual([
      `${G}/r/s1/compute/v2.1`,
      `${G}/r/s2/compute/v2.1`,
      `${G}/r/s3/compute/v2.1`,
      `${G}/r/all/compute/v2.1`,
    ]);
  });

  it('routes by region and by resource id, with links through the global API', async () => {
    const made = await call('POST', '/r/s2/compute/v2.1/servers', { server: { name: 'vm' } });
    expect(made.status).toBe(202);
    expect(made.headers.get('x-brume-region')).toBe('s2');
    const id = made.body.server.id as string;
    expect(made.body.server.links[0].href).toBe(`${G}/r/s2/compute/v2.1/servers/${id}`);
    const got = await call('GET', `/compute/v2.1/servers/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('x-brume-region')).toBe('s2');
    // Boot at s1 with an image from s3: the image must exist at s3.
    const boot = (imageRef: string) =>
      call(
        'POST',
        '/compute/v2.1/servers',
        { server: { name: 'x', imageRef } },
        { 'X-Brume-Scope': 'compute=s1, image=s3' },
      );
    const wrong = await boot('img-s1');
    expect(wrong.status).toBe(400);
    expect(wrong.body.badRequest.message).toContain('region s3');
    const ok = await boot('img-s3');
    expect([ok.status, ok.headers.get('x-brume-region')]).toEqual([202, 's1']);
  });

  it('fans out, places by free capacity, and fails one region honestly', async () => {
    fed.freeRam.set('s3', 9000);
    const placed = await call('POST', '/r/all/compute/v2.1/servers', { server: { name: 'p' } });
    expect(placed.headers.get('x-brume-region')).toBe('s3');
    expect(placed.headers.get('x-brume-placement')).toBe('capacity');
    const near = await call(
      'POST',
      '/compute/v2.1/servers',
      { server: { name: 'n' } },
      {
        'X-Brume-Placement': 'auto',
        'X-Brume-Near': 's2',
      },
    );
    expect([near.headers.get('x-brume-region'), near.headers.get('x-brume-placement')]).toEqual([
      's2',
      'near+capacity',
    ]);
    const s1 = await call('POST', '/r/s1/compute/v2.1/servers', { server: { name: 'one' } });
    const all = await call('GET', '/compute/v2.1/servers/detail', undefined, { 'X-Brume-Fan-Out': 'true' });
    expect(all.body.servers.map((s: Json) => `${s['brume:region']}:${s.name}`).sort()).toEqual([
      's1:one',
      's2:n',
      's3:p',
    ]);

    fed.down.add('s1');
    const down = await call('GET', '/r/s1/compute/v2.1/servers');
    expect(down.status).toBe(503);
    expect(down.body.serviceUnavailable.message).toContain('Region s1');
    // Identity fails over to the next site.
    const relogin = await app.request(`${G}/v3/auth/tokens`, { method: 'POST', body: '{}' });
    expect(relogin.status).toBe(201);
    // Discovery still works for the down region (another site's version document), so clients reach the 503.
    const doc = await call('GET', '/r/s1/compute/v2.1');
    expect(doc.status).toBe(200);
    expect(doc.body.version.links[0].href).toBe(`${G}/r/s1/compute/v2.1/`);
    const partial = await call('GET', '/r/all/compute/v2.1/servers');
    expect(partial.headers.get('x-brume-missing-regions')).toBe('s1');
    expect(partial.body.servers.map((s: Json) => s.name)).toEqual(['n', 'p']);
    const stale = await call('GET', `/compute/v2.1/servers/${s1.body.server.id}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-brume-stale-seconds')).toBe('42');
    expect(stale.body.server['brume:stale']).toBe(true);
    // Open circuit: s1 is not asked again until the cooldown passed.
    const hits = fed.hits.get('s1');
    expect((await call('GET', '/r/s1/compute/v2.1/servers')).status).toBe(503);
    expect(fed.hits.get('s1')).toBe(hits);
    fed.down.delete('s1');
    now += 1000;
    expect((await call('GET', '/r/s1/compute/v2.1/servers')).status).toBe(200);
  });

  it('names a region that hangs as missing once the per-region fan-out timeout passed', async () => {
    const parsed = parseGlobalConfig({ sites: [fed.urls[0]], fanOutTimeoutMs: 200, cooldownMs: 1000 });
    if (!parsed.ok) throw new Error(parsed.diagnostics.join());
    ({ app } = createGlobalApp({ config: parsed.config, fetch: fed.fetch, now: () => now, log: silentLogger }));
    await call('GET', '/r/s2/compute/v2.1/servers');
    fed.hang.add('s2');
    const r = await call('GET', '/r/all/network/v2.0/networks');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-brume-missing-regions')).toBe('s2');
    expect(r.body.networks.map((n: Json) => n.name)).toEqual(['net-s1', 'net-s3']);
    // Twice: the circuit opens; then s2 is named missing without being waited on, and probed in the background.
    await call('GET', '/r/all/network/v2.0/networks');
    fed.hang.delete('s2');
    const skipped = await call('GET', '/r/all/network/v2.0/networks');
    expect(skipped.headers.get('x-brume-missing-regions')).toBe('s2');
    now += 1000;
    await vi.waitFor(async () => {
      const back = await call('GET', '/r/all/network/v2.0/networks');
      expect(back.headers.get('x-brume-missing-regions')).toBeNull();
    });
  });

  it('refuses forged and missing tokens at the edge', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 's1-key' })
      .setExpirationTime('1h')
      .sign(privateKey);
    const before = fed.hits.get('s2') ?? 0;
    for (const t of [forged, 'nope']) {
      const r = await app.request(`${G}/r/s2/compute/v2.1/servers`, { headers: { 'X-Auth-Token': t } });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${G}/v3"`);
    }
    expect((await app.request(`${G}/r/s2/compute/v2.1/servers`)).status).toBe(401);
    expect(fed.hits.get('s2') ?? 0).toBe(before);
  });
}
