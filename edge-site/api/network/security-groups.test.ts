import { beforeEach, describe, expect, it } from 'vitest';
import { networkHarness } from '../../network/test-helpers.ts';

type H = Awaited<ReturnType<typeof networkHarness>>;

describe('network API: security groups', () => {
  let h: H;
  beforeEach(async () => {
    h = await networkHarness();
  });

  it('creates the default group lazily with Neutron default rules, once', async () => {
    const l1 = await h.call(h.who.alice, 'GET', '/v2.0/security-groups');
    const l2 = await h.call(h.who.alice, 'GET', '/v2.0/security-groups');
    expect(l1.body.security_groups).toHaveLength(1);
    expect(l2.body.security_groups[0].id).toBe(l1.body.security_groups[0].id);
    const g = l1.body.security_groups[0];
    expect(g).toMatchObject({ name: 'default', project_id: 'p1', stateful: true });
    const rules = g.security_group_rules.map(
      (r: { direction: string; ethertype: string; remote_group_id: string | null }) =>
        `${r.direction}/${r.ethertype}/${r.remote_group_id === g.id ? 'self' : r.remote_group_id}`,
    );
    expect(rules.sort()).toEqual(['egress/IPv4/null', 'egress/IPv6/null', 'ingress/IPv4/self', 'ingress/IPv6/self']);
    expect((await h.call(h.who.bob, 'GET', `/v2.0/security-groups/${g.id}`)).status).toBe(404);
    const del = await h.call(h.who.alice, 'DELETE', `/v2.0/security-groups/${g.id}`);
    expect(del.status).toBe(409);
    expect(del.body.NeutronError.type).toBe('SecurityGroupCannotRemoveDefault');
    const second = await h.call(h.who.alice, 'POST', '/v2.0/security-groups', { security_group: { name: 'default' } });
    expect(second.status).toBe(409);
  });

  it('does CRUD on groups and rules with validation and duplicate detection', async () => {
    const c = await h.call(h.who.alice, 'POST', '/v2.0/security-groups', {
      security_group: { name: 'web', description: 'w' },
    });
    expect(c.status).toBe(201);
    const sg = c.body.security_group;
    expect(sg.security_group_rules).toHaveLength(2);
    const rule = (body: Record<string, unknown>) =>
      h.call(h.who.alice, 'POST', '/v2.0/security-group-rules', {
        security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...body },
      });
    const ssh = await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' });
    expect(ssh.status).toBe(201);
    expect(ssh.body.security_group_rule).toMatchObject({ protocol: 'tcp', port_range_min: 22, ethertype: 'IPv4' });
    const dup = await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    expect(dup.status).toBe(409);
    expect(dup.body.NeutronError.type).toBe('SecurityGroupRuleExists');
    expect((await rule({ protocol: 17 })).body.security_group_rule.protocol).toBe('17');
    expect((await rule({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 })).status).toBe(201);
    expect((await rule({ protocol: 'bogus' })).status).toBe(400);
    expect((await rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 22 })).status).toBe(400);
    expect((await rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 22 })).status).toBe(400);
    expect((await rule({ protocol: 'icmp', port_range_min: 300 })).status).toBe(400);
    expect((await rule({ ethertype: 'IPv5' })).status).toBe(400);
    expect((await rule({ direction: 'sideways' })).status).toBe(400);
    expect((await rule({ remote_ip_prefix: '10.0.0.0/33' })).status).toBe(400);
    expect((await rule({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' })).status).toBe(400);
    expect((await rule({ remote_group_id: 'nope' })).status).toBe(404);
    expect((await rule({ remote_group_id: sg.id, remote_ip_prefix: '10.0.0.0/8' })).status).toBe(400);
    const missing = await h.call(h.who.alice, 'POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: 'nope', direction: 'ingress' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.NeutronError.type).toBe('SecurityGroupNotFound');
    const id = ssh.body.security_group_rule.id;
    expect((await h.call(h.who.alice, 'GET', `/v2.0/security-group-rules/${id}`)).status).toBe(200);
    const listed = await h.call(h.who.alice, 'GET', `/v2.0/security-group-rules?security_group_id=${sg.id}`);
    expect(listed.body.security_group_rules).toHaveLength(5);
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/security-group-rules/${id}`)).status).toBe(204);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/security-group-rules/${id}`)).status).toBe(404);
    const u = await h.call(h.who.alice, 'PUT', `/v2.0/security-groups/${sg.id}`, { security_group: { name: 'w2' } });
    expect(u.body.security_group.name).toBe('w2');
    expect((await h.call(h.who.alice, 'DELETE', `/v2.0/security-groups/${sg.id}`)).status).toBe(204);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/security-groups/${sg.id}`)).status).toBe(404);
  });

  it('refuses to delete a group a port uses', async () => {
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: {} })).body.network;
    const sg = (await h.call(h.who.alice, 'POST', '/v2.0/security-groups', { security_group: { name: 'x' } })).body
      .security_group;
    await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } });
    const del = await h.call(h.who.alice, 'DELETE', `/v2.0/security-groups/${sg.id}`);
    expect(del.status).toBe(409);
    expect(del.body.NeutronError.type).toBe('SecurityGroupInUse');
  });
});

describe('network API: security group rules in bulk', () => {
  it('creates all rules or none', async () => {
    const h = await networkHarness();
    const sg = (await h.call(h.who.alice, 'POST', '/v2.0/security-groups', { security_group: { name: 'b' } })).body
      .security_group;
    const ok = await h.call(h.who.alice, 'POST', '/v2.0/security-group-rules', {
      security_group_rules: [
        { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 },
        { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 443, port_range_max: 443 },
      ],
    });
    expect(ok.status).toBe(201);
    expect(ok.body.security_group_rules).toHaveLength(2);
    const bad = await h.call(h.who.alice, 'POST', '/v2.0/security-group-rules', {
      security_group_rules: [
        { security_group_id: sg.id, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 },
        { security_group_id: sg.id, direction: 'ingress', protocol: 'nope' },
      ],
    });
    expect(bad.status).toBe(400);
    const rules = await h.call(h.who.alice, 'GET', `/v2.0/security-group-rules?security_group_id=${sg.id}`);
    expect(rules.body.security_group_rules).toHaveLength(4);
  });
});
