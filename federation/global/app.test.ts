import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGlobalFixture, type GlobalFixture } from './testing.ts';

const G = 'http://global.test';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
type Json = any;

describe('global API in front of three in-process sites (a, b, c)', () => {
  let f: GlobalFixture;
  let token: string;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await f.app.request(`${G}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const settleIndex = async () => {
    for (const id of ['a', 'b', 'c']) if (!f.down.has(id)) await f.fed.site(id).index.flush();
    await f.fed.settle();
  };

  beforeAll(async () => {
    f = await createGlobalFixture(['a', 'b', 'c']);
    const { res, token: t } = await f.login();
    expect(res.status).toBe(201);
    token = t;
  });
  afterAll(async () => {
    await f?.close();
  });

  it('issues tokens whose catalog lists every service once per region, through the global API', async () => {
    const { res } = await f.login();
    const body = (await res.json()) as Json;
    const compute = body.token.catalog.find((s: Json) => s.type === 'compute');
    const pub = compute.endpoints.filter((e: Json) => e.interface === 'public');
    expect(pub.map((e: Json) => [e.region_id, e.url])).toEqual([
      ['a', `${G}/r/a/compute/v2.1`],
      ['b', `${G}/r/b/compute/v2.1`],
      ['c', `${G}/r/c/compute/v2.1`],
      ['all', `${G}/r/all/compute/v2.1`],
    ]);
    const identity = body.token.catalog.find((s: Json) => s.type === 'identity');
    expect(new Set(identity.endpoints.map((e: Json) => e.url))).toEqual(new Set([`${G}/v3`]));
    const volume = body.token.catalog.find((s: Json) => s.type === 'volumev3');
    expect(volume.endpoints[0].url).toBe(`${G}/r/a/volume/v3/${body.token.project.id}`);
    // The site list was read with the new token: every region is routable.
    expect(f.state.sites.regions()).toEqual(['a', 'b', 'c']);
  });

  it('serves version documents with links through the global API', async () => {
    const v3 = await f.app.request(`${G}/v3`);
    expect(v3.status).toBe(200);
    expect(JSON.stringify(await v3.json())).toContain(`${G}/v3`);
    const nova = await f.app.request(`${G}/r/b/compute/v2.1`);
    expect(nova.status).toBe(200);
    const text = await nova.text();
    expect(text).toContain(`${G}/r/b/compute/v2.1`);
    expect(text).not.toContain('b.test');
  });

  it('routes by region prefix, by resource id and by scope header', async () => {
    const made = await call('POST', '/r/b/network/v2.0/networks', { network: { name: 'net-b' } });
    expect(made.status).toBe(201);
    expect(made.headers.get('x-brume-region')).toBe('b');
    const id = made.body.network.id as string;
    const atB = await f.fed
      .site('b')
      .app.request(`/network/v2.0/networks/${id}`, { headers: { 'X-Auth-Token': token } });
    expect(atB.status).toBe(200);
    await settleIndex();

    const byId = await call('GET', `/network/v2.0/networks/${id}`);
    expect(byId.status).toBe(200);
    expect(byId.headers.get('x-brume-region')).toBe('b');
    expect(byId.body.network.name).toBe('net-b');
    expect(f.state.homes.get(id)).toBe('http://b.test:5000');

    const scoped = await call(
      'POST',
      '/network/v2.0/networks',
      { network: { name: 'net-c' } },
      { 'X-Brume-Scope': 'network=c' },
    );
    expect(scoped.status).toBe(201);
    expect(scoped.headers.get('x-brume-region')).toBe('c');
    expect((await call('GET', '/r/nowhere/compute/v2.1/servers')).status).toBe(404);
    const bad = await call('GET', '/network/v2.0/networks', undefined, { 'X-Brume-Scope': 'garbage' });
    expect(bad.status).toBe(400);
    expect(bad.body.NeutronError.message).toContain('X-Brume-Scope');
  });

  it('fans lists out on request and merges them, tagged with their region', async () => {
    await call('POST', '/r/a/network/v2.0/networks', { network: { name: 'net-a' } });
    const plain = await call('GET', '/r/a/network/v2.0/networks');
    expect(plain.body.networks.map((n: Json) => n.name)).toEqual(['net-a']);
    for (const how of [{ 'X-Brume-Fan-Out': 'true' }, {}] as Array<Record<string, string>>) {
      const path = Object.keys(how).length > 0 ? '/network/v2.0/networks' : '/network/v2.0/networks?all_regions=1';
      const all = await call('GET', path, undefined, how);
      expect(all.status).toBe(200);
      const names = all.body.networks.map((n: Json) => `${n['brume:region']}:${n.name}`).sort();
      expect(names).toEqual(['a:net-a', 'b:net-b', 'c:net-c']);
      expect(all.body['brume:missing_regions']).toEqual([]);
      expect(all.headers.get('x-brume-regions')).toBe('a,b,c');
    }
    const viaAll = await call('GET', '/r/all/network/v2.0/networks');
    expect(viaAll.body.networks).toHaveLength(3);
    // Replicated records (flavors) are listed once.
    const flavors = await call('GET', '/r/all/compute/v2.1/flavors');
    const ids = flavors.body.flavors.map((x: Json) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places a create that names no region and says where it went', async () => {
    const r = await call('POST', '/r/all/network/v2.0/networks', { network: { name: 'placed' } });
    expect(r.status).toBe(201);
    expect(['a', 'b', 'c']).toContain(r.headers.get('x-brume-region'));
    expect(r.headers.get('x-brume-placement')).toBeTruthy();
  });

  it('verifies tokens at the edge and strips spoofing headers', async () => {
    const before = f.calls.length;
    const none = await f.app.request(`${G}/r/a/compute/v2.1/servers`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as Json).unauthorized.code).toBe(401);
    const { privateKey } = await generateKeyPair('EdDSA');
    const kid = JSON.parse(atob((token.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/'))).kid;
    const forged = await new SignJWT({ sub: 'x', m: ['password'], a: ['y'] })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    for (const t of [forged, 'garbage']) {
      const r = await f.app.request(`${G}/r/a/network/v2.0/networks`, { headers: { 'X-Auth-Token': t } });
      expect(r.status).toBe(401);
      expect(((await r.json()) as Json).NeutronError).toBeDefined();
    }
    // Refused at the edge: no site saw them (the JWKS was already read).
    expect(f.calls.slice(before).filter((c) => !c.path.startsWith('/federation/v1/keys'))).toEqual([]);

    await call('GET', '/r/a/network/v2.0/networks', undefined, {
      'X-Forwarded-Host': 'evil',
      'X-Brume-Image-No-Relay': '1',
      Forwarded: 'for=1.2.3.4',
      'X-Brume-Scope': 'region=a',
    });
    const sent = f.calls.at(-1);
    expect(sent?.path).toBe('/network/v2.0/networks');
    const names = [...(sent?.headers.keys() ?? [])];
    expect(names.filter((h) => /^(x-brume|x-forwarded|forwarded)/i.test(h))).toEqual([]);
    expect(sent?.headers.get('x-auth-token')).toBe(token);
  });

  it('a region that is down: 503 naming it, others answer, breaker open, stale answers from the index', async () => {
    const c = await call('POST', '/r/c/network/v2.0/networks', { network: { name: 'doomed' } });
    const id = c.body.network.id as string;
    await settleIndex();
    f.state.homes.clear();
    f.down.add('c');
    f.fed.net.partition([['a', 'b'], ['c']]);
    await f.fed.settle(20);

    const r = await call('GET', '/r/c/compute/v2.1/servers');
    expect(r.status).toBe(503);
    expect(r.body.serviceUnavailable.message).toContain('Region c');
    const n = await call('GET', '/r/c/network/v2.0/networks');
    expect(n.body.NeutronError.type).toBe('ServiceUnavailable');
    // The circuit is open: c is not asked again.
    const asked = f.calls.length;
    expect((await call('GET', '/r/c/compute/v2.1/servers')).status).toBe(503);
    expect(f.calls.slice(asked).filter((x) => x.site === 'c')).toEqual([]);
    expect(((await (await f.app.request(`${G}/global/v1/health`)).json()) as Json).regions[2].sites[0].circuit).toBe(
      'open',
    );

    const all = await call('GET', '/network/v2.0/networks', undefined, { 'X-Brume-Fan-Out': '1' });
    expect(all.status).toBe(200);
    expect(all.headers.get('x-brume-missing-regions')).toBe('c');
    expect(all.body['brume:missing_regions']).toEqual(['c']);
    expect(all.body.networks.map((x: Json) => x['brume:region'])).not.toContain('c');
    expect((await call('GET', '/r/a/compute/v2.1/servers')).status).toBe(200);

    for (const path of [`/r/c/network/v2.0/networks/${id}`, `/network/v2.0/networks/${id}`]) {
      const stale = await call('GET', path);
      expect(stale.status).toBe(200);
      expect(stale.body.network).toMatchObject({ id, name: 'doomed', 'brume:stale': true, 'brume:site': 'c' });
      expect(Number(stale.headers.get('x-brume-stale-seconds'))).toBeGreaterThanOrEqual(15);
    }
    const del = await call('DELETE', `/network/v2.0/networks/${id}`);
    expect(del.status).toBe(503);
    expect(del.body.NeutronError.message).toContain('c');

    // Back up: after the cooldown one probe closes the circuit.
    f.down.delete('c');
    f.fed.net.heal();
    f.fed.clock.advance(f.state.deps.config.cooldownMs);
    expect((await call('GET', '/r/c/compute/v2.1/servers')).status).toBe(200);
    expect(f.state.health.healthy('http://c.test:5000')).toBe(true);
  });
});
