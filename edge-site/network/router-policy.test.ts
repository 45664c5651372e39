import { describe, expect, it, vi } from 'vitest';
import type { AgentCommand } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy } from '../../shared/schemas/network-policy.ts';
import type { HostState } from '../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../testing/deps.ts';
import { createNetwork } from './index.ts';

/** One site's network module with a recording fleet: what each host's policy says about routers. */
async function harness() {
  const deps = await testDeps();
  const tokens = fakeTokens();
  const sent: Array<{ host: string; policy: HostNetworkPolicy }> = [];
  const fleet = {
    async send<R>(host: string, command: AgentCommand): Promise<R> {
      if (command.op === 'network_policy') sent.push({ host, policy: command.policy });
      return null as R;
    },
    host: () => ({ inventory: { networkDataPlane: true } }) as HostState,
    subscribe: () => () => {},
  };
  const net = await createNetwork(deps, { identity: { tokens, bootstrap: async () => {} }, fleet });
  const app = mountForTest(deps, '/network', net.app);
  const alice = authFor({ userId: 'alice', projectId: 'p1' });
  const admin = authFor({ userId: 'admin', projectId: 'p1', roles: ['admin'] });
  tokens.add(alice);
  tokens.add(admin);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response JSON.
  const call = async (method: string, path: string, body?: unknown, as = alice): Promise<any> => {
    const res = await app.request(`/network${path}`, {
      method,
      headers: { 'x-auth-token': as.token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text === '' ? null : JSON.parse(text);
  };
  const routersOf = (host: string) => sent.filter((s) => s.host === host).at(-1)?.policy.routers;
  return { net, alice, admin, call, routersOf };
}

describe('routers in the hosts network policy', () => {
  it('sends each host the routers of its networks, with gateway, SNAT and floating IPs, after every change', async () => {
    const h = await harness();
    const ext = (
      await h.call('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } }, h.admin)
    ).network;
    await h.call(
      'POST',
      '/v2.0/subnets',
      { subnet: { network_id: ext.id, ip_version: 4, cidr: '10.84.0.0/24', gateway_ip: '10.84.0.1' } },
      h.admin,
    );
    const nets: Array<{ id: string; subnet: string }> = [];
    for (const [name, cidr] of [
      ['blue', '10.81.0.0/24'],
      ['green', '10.82.0.0/24'],
      ['red', '10.83.0.0/24'],
    ]) {
      const { network } = await h.call('POST', '/v2.0/networks', { network: { name } });
      const { subnet } = await h.call('POST', '/v2.0/subnets', {
        subnet: { network_id: network.id, ip_version: 4, cidr },
      });
      nets.push({ id: network.id, subnet: subnet.id });
    }
    const [blue, green, red] = nets as [(typeof nets)[0], (typeof nets)[0], (typeof nets)[0]];
    const [pa] = await h.net.allocateForServer(h.alice, 'vm1', [{ uuid: blue.id }], 'h1');
    await h.net.allocateForServer(h.alice, 'vm3', [{ uuid: red.id }], 'h2');
    const { router } = await h.call('POST', '/v2.0/routers', { router: { name: 'r1' } });
    await h.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: blue.subnet });
    await h.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: green.subnet });
    await vi.waitFor(() => expect(h.routersOf('h1')?.[0]?.interfaces).toHaveLength(2));
    const spec = h.routersOf('h1')?.[0];
    expect(spec?.interfaces.map((l) => l.ips[0]).sort()).toEqual(['10.81.0.1/24', '10.82.0.1/24']);
    expect(spec?.gateway).toBeNull();
    // h2's only network is not on the router.
    expect(h.routersOf('h2')).toEqual([]);

    await h.call('PUT', `/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: ext.id } } });
    await vi.waitFor(() => expect(h.routersOf('h1')?.[0]?.gateway?.nextHop).toBe('10.84.0.1'));
    expect(h.routersOf('h1')?.[0]?.gateway?.enableSnat).toBe(true);
    expect(h.routersOf('h1')?.[0]?.gateway?.ips[0]).toMatch(/^10\.84\.0\.\d+\/24$/);

    const { floatingip } = await h.call('POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: ext.id, port_id: pa?.portId },
    });
    await vi.waitFor(() =>
      expect(h.routersOf('h1')?.[0]?.floatingIps).toEqual([
        { id: floatingip.id, floatingIp: floatingip.floating_ip_address, fixedIp: pa?.fixedIps[0]?.ipAddress },
      ]),
    );
    expect(floatingip.status).toBe('ACTIVE');

    // A second host on the router's networks: the router there has a gateway leg of its own MAC, without the
    // gateway address (h1 holds it and does SNAT), and only its own ports' floating IPs.
    await h.net.allocateForServer(h.alice, 'vm4', [{ uuid: green.id }], 'h2');
    await vi.waitFor(() => expect(h.routersOf('h2')?.[0]?.gateway?.ips).toEqual([]));
    const other = h.routersOf('h2')?.[0];
    expect(other?.gateway?.enableSnat).toBe(false);
    expect(other?.gateway?.mac).not.toBe(h.routersOf('h1')?.[0]?.gateway?.mac);
    expect(other?.floatingIps).toEqual([]);
    expect(h.routersOf('h1')?.[0]?.gateway?.ips).toHaveLength(1);

    await h.call('PUT', `/v2.0/floatingips/${floatingip.id}`, { floatingip: { port_id: null } });
    await vi.waitFor(() => expect(h.routersOf('h1')?.[0]?.floatingIps).toEqual([]));
    expect((await h.call('GET', `/v2.0/floatingips/${floatingip.id}`)).floatingip.status).toBe('DOWN');

    await h.call(
      'PUT',
      `/v2.0/routers/${router.id}`,
      {
        router: { external_gateway_info: { network_id: ext.id, enable_snat: false } },
      },
      h.admin,
    );
    await vi.waitFor(() => expect(h.routersOf('h1')?.[0]?.gateway?.enableSnat).toBe(false));

    await h.call('PUT', `/v2.0/routers/${router.id}`, { router: { admin_state_up: false } });
    await vi.waitFor(() => expect(h.routersOf('h1')).toEqual([]));
  });
});
