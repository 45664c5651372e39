import { describe, expect, it, vi } from 'vitest';
import type { AgentCommand } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy } from '../../shared/schemas/network-policy.ts';
import type { FleetEvent, HostState } from '../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../testing/deps.ts';
import { createNetwork } from './index.ts';

async function harness() {
  const deps = await testDeps();
  const tokens = fakeTokens();
  const sent: Array<{ host: string; policy: HostNetworkPolicy }> = [];
  const listeners: Array<(e: FleetEvent) => void> = [];
  const fleet = {
    async send<R>(host: string, command: AgentCommand): Promise<R> {
      if (command.op === 'network_policy') sent.push({ host, policy: command.policy });
      return null as R;
    },
    host: (id: string) => (id === 'h3' ? undefined : ({ inventory: { networkDataPlane: true } } as HostState)),
    subscribe(l: (e: FleetEvent) => void) {
      listeners.push(l);
      return () => {};
    },
  };
  const net = await createNetwork(deps, { identity: { tokens, bootstrap: async () => {} }, fleet });
  const app = mountForTest(deps, '/network', net.app);
  const alice = authFor({ userId: 'alice', projectId: 'p1' });
  tokens.add(alice);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response JSON.
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await app.request(`/network${path}`, {
      method,
      headers: { 'x-auth-token': alice.token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return text === '' ? null : JSON.parse(text);
  };
  const last = (host: string) => sent.filter((s) => s.host === host).at(-1)?.policy;
  return { net, alice, call, sent, last, listeners };
}

describe('security policy sync to agents', () => {
  it('sends each host the full policy of its ports after bindings and rule changes', async () => {
    const h = await harness();
    const { network } = await h.call('POST', '/v2.0/networks', { network: { name: 'n1' } });
    await h.call('POST', '/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.5.0.0/24' } });
    const [p1] = await h.net.allocateForServer(h.alice, 'vm1', [{ uuid: network.id }], 'h1');
    const [p2] = await h.net.allocateForServer(h.alice, 'vm2', [{ uuid: network.id }], 'h2');
    // h3 has no data plane (fake driver): it gets no policy.
    await h.net.allocateForServer(h.alice, 'vm3', [{ uuid: network.id }], 'h3');
    const ip1 = p1?.fixedIps[0]?.ipAddress;
    const ip2 = p2?.fixedIps[0]?.ipAddress;
    await vi.waitFor(() => expect(h.last('h2')).toBeDefined());
    await vi.waitFor(() => expect(h.last('h1')?.groups[0]?.members).toHaveLength(3));
    expect(h.last('h1')?.groups[0]?.members).toEqual(expect.arrayContaining([ip1, ip2]));
    await h.net.releaseForServer('vm3');
    await vi.waitFor(() => expect(h.last('h1')?.groups[0]?.members.sort()).toEqual([ip1, ip2].sort()));
    const policy = h.last('h1');
    const groupId = Object.values(policy?.ports ?? {})[0]?.securityGroups[0];
    expect(Object.keys(policy?.ports ?? {})).toEqual([p1?.portId]);
    // The host's metadata relay learns where to ask the site and the secret to sign instance ids with.
    expect(policy?.metadata).toEqual({ url: expect.stringMatching(/^http:\/\//), secret: expect.any(String) });
    expect(policy?.metadata?.secret.length).toBeGreaterThanOrEqual(16);
    expect(policy?.groups.map((g) => g.id)).toEqual([groupId]);
    expect(policy?.groups[0]?.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ direction: 'egress', ethertype: 'IPv4', remoteGroupId: null }),
        expect.objectContaining({ direction: 'ingress', ethertype: 'IPv4', remoteGroupId: groupId }),
      ]),
    );

    const before = h.last('h1')?.revision ?? 0;
    const { security_group_rule: rule } = await h.call('POST', '/v2.0/security-group-rules', {
      security_group_rule: {
        security_group_id: groupId,
        direction: 'ingress',
        protocol: 'tcp',
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: '0.0.0.0/0',
      },
    });
    await vi.waitFor(() =>
      expect(h.last('h2')?.groups[0]?.rules).toContainEqual(expect.objectContaining({ protocol: 'tcp', portMin: 22 })),
    );
    expect(h.last('h1')?.revision).toBeGreaterThan(before);
    await h.call('DELETE', `/v2.0/security-group-rules/${rule.id}`);
    await vi.waitFor(() =>
      expect(h.last('h1')?.groups[0]?.rules).not.toContainEqual(expect.objectContaining({ protocol: 'tcp' })),
    );

    await h.net.releaseForServer('vm2');
    await vi.waitFor(() => expect(h.last('h1')?.groups[0]?.members).toEqual([ip1]));

    expect(h.sent.some((s) => s.host === 'h3')).toBe(false);
    // An agent that reconnects gets its policy again.
    const count = h.sent.length;
    for (const l of h.listeners) l({ type: 'inventory', host: 'h1', instances: [] });
    await vi.waitFor(() => expect(h.sent.length).toBeGreaterThan(count));
    await h.net.stop?.();
  });
});
