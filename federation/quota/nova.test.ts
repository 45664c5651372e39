/**
 * Escrow and honest state through the real APIs of three whole federated sites (memory transport, manual clock,
 * signed site-to-site messages): Nova's quota limit is federation-wide and holds under partition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HOME_SITE_HEADER } from '../index/home.ts';
import type { FederatedSite } from '../site/federated-site.ts';
import { adminToken, createSiteFederation, type SiteFederation } from '../site/testing.ts';

async function call(site: FederatedSite, token: string, method: string, path: string, body?: unknown) {
  const r = await site.app.request(path, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.37' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as any };
}

async function createImage(site: FederatedSite, token: string): Promise<string> {
  const img = await call(site, token, 'POST', '/image/v2/images', {
    name: 'tiny',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'public',
  });
  expect(img.status).toBe(201);
  const id = img.body.id as string;
  const up = await site.app.request(`/image/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(1024),
  });
  expect(up.status).toBe(204);
  return id;
}

/** Boots one server per call until Nova refuses; returns the ids booted and the refusal. */
async function bootUntilRefused(site: FederatedSite, token: string, image: string) {
  const flavors = (await call(site, token, 'GET', '/compute/v2.1/flavors')).body.flavors as Array<{
    id: string;
    name: string;
  }>;
  const flavor = flavors.find((f) => f.name === 'm1.tiny')?.id ?? flavors[0]?.id;
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await call(site, token, 'POST', '/compute/v2.1/servers', {
      server: { name: `vm-${site.config.site}-${i}`, imageRef: image, flavorRef: flavor, networks: 'none' },
    });
    if (r.status !== 202) return { ids, refusal: r };
    ids.push(r.body.server.id as string);
  }
  throw new Error('never refused');
}

describe('federation-wide quotas through the OpenStack APIs (3 whole sites)', () => {
  let fed: SiteFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('partitioned sites boot until refused within the limit; 404s elsewhere name the home site', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const a = fed.site('a');
    const b = fed.site('b');
    const token = await adminToken(a);
    const project = (await call(a, token, 'GET', '/v3/auth/projects')).body.projects.find(
      (p: { name: string }) => p.name === 'admin',
    ).id as string;
    const set = await call(a, token, 'PUT', `/compute/v2.1/os-quota-sets/${project}`, {
      quota_set: { instances: 4 },
    });
    expect(set.status).toBe(200);
    const image = await createImage(a, token);
    const flavor = await call(a, token, 'POST', '/compute/v2.1/flavors', {
      flavor: { name: 'm1.tiny', ram: 64, vcpus: 1, disk: 1 },
    });
    expect(flavor.status).toBe(200);
    await fed.settle();
    // b shows the federation-wide limit set at a.
    const shown = await call(b, token, 'GET', `/compute/v2.1/os-quota-sets/${project}`);
    expect(shown.body.quota_set.instances).toBe(4);

    fed.net.partition([['a'], ['b', 'c']]);
    await fed.settle(1);
    const atA = await bootUntilRefused(a, token, image);
    const atB = await bootUntilRefused(b, token, image);
    // 4 over 3 sites: a 2, b 1 + c's 1 (c is reachable from b).
    expect(atA.refusal.status).toBe(403);
    expect(atA.ids).toHaveLength(2);
    expect(atB.ids).toHaveLength(2);
    expect(atB.refusal.status).toBe(403);
    expect(atB.refusal.body.forbidden.message).toMatch(/^Quota exceeded for instances: Requested 1/);
    expect(atB.refusal.body.forbidden.message).toContain('held by unreachable sites: a');

    // Honest state: b does not hold a's server and says where it lives.
    await a.index.flush();
    fed.net.heal();
    await fed.settle();
    const elsewhere = await call(b, token, 'GET', `/compute/v2.1/servers/${atA.ids[0]}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get(HOME_SITE_HEADER)).toBe('a');
    expect(elsewhere.body.itemNotFound.message).toContain('site a (region');
    expect((await call(b, token, 'GET', '/compute/v2.1/servers/no-such-server-id')).headers.get(HOME_SITE_HEADER)).toBe(
      null,
    );

    // After heal: still 4 in all; the quota API shows every share adding up to the limit.
    const count = async (s: FederatedSite) =>
      (await call(s, token, 'GET', '/compute/v2.1/servers')).body.servers.length as number;
    expect((await count(a)) + (await count(b)) + (await count(fed.site('c')))).toBe(4);
    for (const s of ['a', 'b', 'c']) await fed.site(s).escrow.publish();
    await fed.settle();
    const q = await call(b, token, 'GET', `/federation/v1/quotas/${project}`);
    expect(q.status).toBe(200);
    const inst = q.body.quota.resources.find((r: { resource: string }) => r.resource === 'compute.instances');
    expect(inst).toMatchObject({ limit: 4, explicit: true, used: 2, federation_used: 4 });
    expect(inst.sites.a).toMatchObject({ used: 2, used_at: expect.any(String), reachable: true });
    const sites = Object.values(inst.sites) as Array<{ spendable: number }>;
    expect(sites.reduce((n, s) => n + s.spendable, 0)).toBe(4);
  });

  it('Neutron (409) and Cinder limits are federation-wide too', async () => {
    fed = await createSiteFederation(['a', 'b', 'c']);
    const [a, b, c] = [fed.site('a'), fed.site('b'), fed.site('c')];
    const token = await adminToken(a);
    const project = (await call(a, token, 'GET', '/v3/auth/projects')).body.projects.find(
      (p: { name: string }) => p.name === 'admin',
    ).id as string;
    expect((await call(b, token, 'PUT', `/network/v2.0/quotas/${project}`, { quota: { network: 2 } })).status).toBe(
      200,
    );
    const vq = await call(b, token, 'PUT', `/volume/v3/${project}/os-quota-sets/${project}`, {
      quota_set: { volumes: 2 },
    });
    expect(vq.status).toBe(200);
    await fed.settle();
    fed.net.partition([['a'], ['b'], ['c']]);
    const net = (s: FederatedSite, name: string) =>
      call(s, token, 'POST', '/network/v2.0/networks', { network: { name } });
    expect((await net(a, 'n1')).status).toBe(201);
    expect((await net(a, 'n2')).status).toBe(409);
    expect((await net(b, 'n3')).status).toBe(201);
    const refused = await net(c, 'n4');
    expect(refused.status).toBe(409);
    expect(refused.body.NeutronError.type).toBe('OverQuota');
    expect(refused.body.NeutronError.message).toContain('held by unreachable sites: a, b');
    const vol = (s: FederatedSite) =>
      call(s, token, 'POST', `/volume/v3/${project}/volumes`, { volume: { size: 1, name: 'v' } });
    expect((await vol(c)).status).toBe(413);
    const v = await vol(a);
    expect(v.status).toBe(202);
    await a.index.flush();
    expect(a.store.get('resource_index', v.body.volume.id)).toMatchObject({ type: 'volume', site_id: 'a', name: 'v' });
    fed.net.heal();
    await fed.settle();
    // Connected again: c asks a and b, which have nothing to spare for networks (both used theirs) but a volume.
    expect((await net(c, 'n5')).status).toBe(409);
    expect((await vol(c)).status).toBe(202);
  });
});
