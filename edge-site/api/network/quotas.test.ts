import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

const DEFAULTS = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
};

describe('network API: quotas', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('shows defaults, updates, lists non-default projects and resets', async () => {
    expect((await h.call(h.who.alice, 'GET', '/v2.0/quotas/p1')).body.quota).toEqual(DEFAULTS);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/quotas/p1/default')).body.quota).toEqual(DEFAULTS);
    const upd = await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', { quota: { network: 0, port: '7' } });
    expect(upd.status).toBe(200);
    expect(upd.body.quota).toEqual({ ...DEFAULTS, network: 0, port: 7 });
    const list = await h.call(h.who.admin, 'GET', '/v2.0/quotas');
    expect(list.body.quotas).toEqual([{ ...DEFAULTS, network: 0, port: 7, project_id: 'p1', tenant_id: 'p1' }]);
    expect((await h.call(h.who.admin, 'DELETE', '/v2.0/quotas/p1')).status).toBe(204);
    expect((await h.call(h.who.admin, 'GET', '/v2.0/quotas')).body.quotas).toEqual([]);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/quotas/p1')).body.quota).toEqual(DEFAULTS);
  });

  it('reports details with usage', async () => {
    await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} });
    const d = (await h.call(h.who.alice, 'GET', '/v2.0/quotas/p1/details.json')).body.quota;
    expect(d.network).toEqual({ limit: 100, used: 1, reserved: 0 });
    expect(Object.keys(d).sort()).toEqual(Object.keys(DEFAULTS).sort());
  });

  it('is admin-only to change, project-scoped to read, and validated', async () => {
    expect((await h.call(h.who.alice, 'PUT', '/v2.0/quotas/p1', { quota: { network: 5 } })).status).toBe(403);
    expect((await h.call(h.who.alice, 'DELETE', '/v2.0/quotas/p1')).status).toBe(403);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/quotas')).status).toBe(403);
    expect((await h.call(h.who.alice, 'GET', '/v2.0/quotas/p2')).status).toBe(403);
    expect((await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', { quota: { network: -2 } })).status).toBe(400);
    expect((await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', { quota: { bogus: 1 } })).status).toBe(400);
    expect((await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', { nope: {} })).status).toBe(400);
  });

  it('enforces limits on create with 409 OverQuota', async () => {
    await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', {
      quota: { network: 1, subnet: 1, port: 1, router: 0, security_group: 1, security_group_rule: 0 },
    });
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).body.network;
    const over = await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} });
    expect(over.status).toBe(409);
    expect(over.body.NeutronError).toMatchObject({
      type: 'OverQuota',
      message: "Quota exceeded for resources: ['network'].",
    });
    // Admin creating for the project is limited too; other projects are not.
    const forP1 = await h.call(h.who.admin, 'POST', '/v2.0/networks', { network: { project_id: 'p1' } });
    expect(forP1.status).toBe(409);
    expect((await h.call(h.who.bob, 'POST', '/v2.0/networks', { network: {} })).status).toBe(201);
    const sub = { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' } };
    expect((await h.call(h.who.alice, 'POST', '/v2.0/subnets', sub)).status).toBe(201);
    const sub2 = { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.1.0/24' } };
    expect((await h.call(h.who.alice, 'POST', '/v2.0/subnets', sub2)).status).toBe(409);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).status).toBe(201);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).status).toBe(409);
    expect((await h.call(h.who.alice, 'POST', '/v2.0/routers', { router: {} })).status).toBe(409);
    // The default group counts: none left.
    expect((await h.call(h.who.alice, 'POST', '/v2.0/security-groups', { security_group: { name: 'x' } })).status).toBe(
      409,
    );
    // -1 is unlimited.
    await h.call(h.who.admin, 'PUT', '/v2.0/quotas/p1', { quota: { network: -1 } });
    expect((await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).status).toBe(201);
  });

  it('lists no service providers and no agents', async () => {
    expect((await h.call(h.who.alice, 'GET', '/v2.0/service-providers')).body).toEqual({ service_providers: [] });
    expect((await h.call(h.who.alice, 'GET', '/v2.0/agents')).body).toEqual({ agents: [] });
  });

  it('is advertised with the L3 extensions', async () => {
    const ext = (await h.call(h.who.alice, 'GET', '/v2.0/extensions')).body.extensions.map(
      (e: { alias: string }) => e.alias,
    );
    for (const a of ['router', 'extraroute', 'ext-gw-mode', 'fip-port-details', 'quotas', 'quota_details']) {
      expect(ext).toContain(a);
    }
  });
});
