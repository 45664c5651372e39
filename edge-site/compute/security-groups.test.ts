import { afterEach, describe, expect, it } from 'vitest';
import { type NetworkFetch, setNetworkFetch } from './neutron-proxy.ts';
import { computeHarness, IMAGE_ID } from './testing/harness.ts';

const SG = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/** A tiny Neutron: security groups, rules and port security groups, answering like the network API. */
function fakeNeutron() {
  const groups = new Map<string, { id: string; name: string; description: string; tenant_id: string }>();
  const rules = new Map<string, Record<string, unknown>>();
  const ports = new Map<string, string[]>();
  const calls: string[] = [];
  groups.set(SG(1), { id: SG(1), name: 'default', description: 'Default', tenant_id: 'p1' });
  let seq = 2;
  const json = (status: number, body?: unknown) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status });
  const err = (status: number, message: string) => json(status, { NeutronError: { type: 'X', message } });
  const full = (id: string) => {
    const g = groups.get(id);
    return g && { ...g, security_group_rules: [...rules.values()].filter((r) => r.security_group_id === id) };
  };
  const f: NetworkFetch = async (url, init) => {
    const path = new URL(url).pathname.replace(/^\/network\/v2\.0/, '');
    const method = init.method ?? 'GET';
    calls.push(`${method} ${path}`);
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    const [, kind, id] = path.split('/');
    if (kind === 'security-groups') {
      if (!id && method === 'GET') return json(200, { security_groups: [...groups.keys()].map(full) });
      if (!id && method === 'POST') {
        const g = { id: SG(seq++), tenant_id: 'p1', ...body.security_group };
        groups.set(g.id, g);
        return json(201, { security_group: full(g.id) });
      }
      if (!id || !groups.has(id)) return err(404, `Security group ${id} does not exist`);
      if (method === 'GET') return json(200, { security_group: full(id) });
      if (method === 'PUT') {
        groups.set(id, { ...(groups.get(id) ?? { id, tenant_id: 'p1' }), ...body.security_group });
        return json(200, { security_group: full(id) });
      }
      if (method === 'DELETE') {
        if ([...ports.values()].some((l) => l.includes(id))) return err(409, `Security Group ${id} in use.`);
        groups.delete(id);
        return json(204);
      }
    }
    if (kind === 'security-group-rules' && method === 'POST') {
      const r = { id: SG(seq++), direction: 'ingress', remote_group_id: null, ...body.security_group_rule };
      rules.set(r.id, r);
      return json(201, { security_group_rule: r });
    }
    if (kind === 'security-group-rules' && method === 'DELETE') {
      return rules.delete(id ?? '') ? json(204) : err(404, 'no rule');
    }
    if (kind === 'ports' && id) {
      if (method === 'PUT') ports.set(id, body.port.security_groups);
      return json(200, { port: { id, security_groups: ports.get(id) ?? [SG(1)] } });
    }
    return err(404, 'not found');
  };
  return { fetch: f, groups, rules, ports, calls };
}

let restore: NetworkFetch | undefined;
afterEach(() => {
  if (restore) setNetworkFetch(restore);
});

describe('os-security-groups proxy', () => {
  it('creates, shows, lists, updates and deletes groups and rules in Nova’s shape', async () => {
    const n = fakeNeutron();
    restore = setNetworkFetch(n.fetch);
    const h = await computeHarness();
    const created = await h.req('POST', '/os-security-groups', {
      body: { security_group: { name: 'web', description: 'w' } },
    });
    expect(created.status).toBe(200);
    const id = created.json.security_group.id;
    expect(created.json.security_group).toMatchObject({ name: 'web', tenant_id: 'p1', rules: [] });
    const rule = await h.req('POST', '/os-security-group-rules', {
      body: { security_group_rule: { parent_group_id: id, ip_protocol: 'tcp', from_port: 22, to_port: 22 } },
    });
    expect(rule.status).toBe(200);
    expect(rule.json.security_group_rule).toMatchObject({
      parent_group_id: id,
      ip_protocol: 'tcp',
      from_port: 22,
      to_port: 22,
      ip_range: { cidr: '0.0.0.0/0' },
      group: {},
    });
    const shown = await h.req('GET', `/os-security-groups/${id}`);
    expect(shown.json.security_group.rules).toHaveLength(1);
    const list = await h.req('GET', '/os-security-groups');
    expect(list.json.security_groups.map((g: { name: string }) => g.name).sort()).toEqual(['default', 'web']);
    const upd = await h.req('PUT', `/os-security-groups/${id}`, {
      body: { security_group: { name: 'web2', description: 'x' } },
    });
    expect(upd.status).toBe(200);
    expect((await h.req('DELETE', `/os-security-group-rules/${rule.json.security_group_rule.id}`)).status).toBe(202);
    expect((await h.req('DELETE', `/os-security-groups/${id}`)).status).toBe(202);
    expect((await h.req('GET', `/os-security-groups/${id}`)).status).toBe(404);
    expect((await h.req('GET', '/os-security-groups', { version: '2.36' })).status).toBe(404);
  });

  it('validates like Nova: 400 for bad names, ids, protocols and ports; 404 for unknown groups', async () => {
    const n = fakeNeutron();
    restore = setNetworkFetch(n.fetch);
    const h = await computeHarness();
    const mk = (name: string, description = 'd') =>
      h.req('POST', '/os-security-groups', { body: { security_group: { name, description } } });
    expect((await mk('')).status).toBe(400);
    expect((await mk(' ')).status).toBe(400);
    expect((await mk('x'.repeat(260))).status).toBe(400);
    expect((await mk('ok', 'x'.repeat(260))).status).toBe(400);
    const rule = (r: Record<string, unknown>) =>
      h.req('POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: SG(1), ...r } } });
    expect((await rule({ ip_protocol: 'tcp', from_port: 22, to_port: 21 })).status).toBe(400);
    expect((await rule({ ip_protocol: 'tcp', from_port: 70000, to_port: 22 })).status).toBe(400);
    expect((await rule({ ip_protocol: 'tcp', from_port: 22, to_port: 70000 })).status).toBe(400);
    expect((await rule({ ip_protocol: '999x', from_port: 22, to_port: 22 })).status).toBe(400);
    expect((await rule({ parent_group_id: 'nope', ip_protocol: 'tcp', from_port: 1, to_port: 2 })).status).toBe(400);
    expect((await rule({ parent_group_id: SG(9), ip_protocol: 'tcp', from_port: 1, to_port: 2 })).status).toBe(404);
    expect((await h.req('GET', `/os-security-groups/${SG(9)}`)).status).toBe(404);
    expect((await h.req('DELETE', `/os-security-groups/${SG(9)}`)).status).toBe(404);
    expect((await h.req('DELETE', `/os-security-group-rules/${SG(9)}`)).status).toBe(404);
    expect(
      (
        await h.req('POST', '/servers', {
          body: { server: { name: 'v', imageRef: IMAGE_ID, flavorRef: '1', security_groups: [{ name: 'nope' }] } },
        })
      ).status,
    ).toBe(400);
  });

  it('adds and removes a server’s groups on its ports; a group in use cannot be deleted', async () => {
    const n = fakeNeutron();
    restore = setNetworkFetch(n.fetch);
    const h = await computeHarness();
    const id = await h.boot();
    const sg = (
      await h.req('POST', '/os-security-groups', { body: { security_group: { name: 'db', description: '' } } })
    ).json.security_group.id;
    const act = (body: unknown) => h.req('POST', `/servers/${id}/action`, { body });
    expect((await act({ addSecurityGroup: { name: 'db' } })).status).toBe(202);
    expect(n.ports.get(`port-${id}`)).toEqual([SG(1), sg]);
    const listed = await h.req('GET', `/servers/${id}/os-security-groups`);
    expect(listed.json.security_groups.map((g: { name: string }) => g.name)).toEqual(['default', 'db']);
    expect((await h.req('DELETE', `/os-security-groups/${sg}`)).status).toBe(400);
    expect((await act({ addSecurityGroup: { name: 'missing' } })).status).toBe(404);
    expect((await act({ removeSecurityGroup: { name: 'db' } })).status).toBe(202);
    expect((await act({ removeSecurityGroup: { name: 'default' } })).status).toBe(202);
    expect(n.ports.get(`port-${id}`)).toEqual([]);
    expect((await act({ removeSecurityGroup: { name: 'db' } })).status).toBe(400);
    expect((await h.req('GET', `/servers/${id}`)).json.server.security_groups).toBeUndefined();
  });
});

describe('os-tenant-networks proxy', () => {
  it('lists and shows the networks Neutron shows the caller', async () => {
    restore = setNetworkFetch(async (url) => {
      expect(new URL(url).pathname).toBe('/network/v2.0/networks');
      return new Response(JSON.stringify({ networks: [{ id: 'n1', name: 'private' }] }), { status: 200 });
    });
    const h = await computeHarness();
    expect((await h.req('GET', '/os-tenant-networks')).json).toEqual({
      networks: [{ id: 'n1', label: 'private', cidr: null }],
    });
    expect((await h.req('GET', '/os-tenant-networks/n1')).json.network.label).toBe('private');
    expect((await h.req('GET', '/os-tenant-networks/n2')).status).toBe(404);
  });
});
