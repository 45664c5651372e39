import { describe, expect, it } from 'vitest';
import type { HostNetworkPolicy, SecurityRuleSpec } from '../../shared/schemas/network-policy.ts';
import { dhcpSubnet, dnsmasqArgs, renderHostsFile } from './dnsmasq.ts';
import { bridgeName, namespaceName, tapName } from './names.ts';
import { type FilteredPort, protocolNumber, renderRuleset, ruleMatch } from './nft.ts';

const rule = (r: Partial<SecurityRuleSpec>): SecurityRuleSpec => ({
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: null,
  portMin: null,
  portMax: null,
  remoteIpPrefix: null,
  remoteGroupId: null,
  ...r,
});
const sets = (id: string) => (id === 'g-default' ? 'g1' : undefined);

describe('names', () => {
  it('keeps interface names within 15 characters, Nova/Neutron style', () => {
    const id = '3f2a9c1e-7b4d-4e0f-9a1b-2c3d4e5f6a7b';
    expect(tapName(id)).toBe('tap3f2a9c1e-7b');
    expect(bridgeName(id)).toBe('brq3f2a9c1e-7b');
    expect(tapName(id).length).toBeLessThanOrEqual(15);
  });
  it('gives each host id + data folder its own namespace', () => {
    const a = namespaceName('host-1', '/tmp/a');
    expect(a).toMatch(/^brume-[0-9a-f]{10}$/);
    expect(namespaceName('host-1', '/tmp/a')).toBe(a);
    expect(namespaceName('host-1', '/tmp/b')).not.toBe(a);
    expect(namespaceName('host-2', '/tmp/a')).not.toBe(a);
  });
});

describe('security group rules to nft matches', () => {
  it('renders protocol, ports, prefixes and remote groups', () => {
    expect(ruleMatch(rule({ protocol: 'tcp', portMin: 22, portMax: 22 }), sets)).toBe(
      'meta nfproto ipv4 meta l4proto 6 th dport 22',
    );
    expect(
      ruleMatch(rule({ protocol: 'udp', portMin: 1000, portMax: 2000, remoteIpPrefix: '10.1.0.0/16' }), sets),
    ).toBe('meta nfproto ipv4 ip saddr 10.1.0.0/16 meta l4proto 17 th dport 1000-2000');
    expect(ruleMatch(rule({ protocol: 'icmp', portMin: 8, portMax: 0 }), sets)).toBe(
      'meta nfproto ipv4 meta l4proto 1 icmp type 8 icmp code 0',
    );
    expect(ruleMatch(rule({ remoteGroupId: 'g-default' }), sets)).toBe('meta nfproto ipv4 ip saddr @g1_4');
    expect(ruleMatch(rule({ direction: 'egress', ethertype: 'IPv6', remoteIpPrefix: '::/0' }), sets)).toBe(
      'meta nfproto ipv6',
    );
    expect(ruleMatch(rule({ direction: 'egress', remoteIpPrefix: '192.168.0.0/24' }), sets)).toBe(
      'meta nfproto ipv4 ip daddr 192.168.0.0/24',
    );
  });
  it('skips what it cannot express (fail closed): unknown group, protocol, mismatched prefix family', () => {
    expect(ruleMatch(rule({ remoteGroupId: 'nope' }), sets)).toBeNull();
    expect(ruleMatch(rule({ protocol: 'bogus' }), sets)).toBeNull();
    expect(ruleMatch(rule({ remoteIpPrefix: 'fd00::/8' }), sets)).toBeNull();
  });
  it('maps icmp on IPv6 rules to ICMPv6, as Neutron does', () => {
    expect(protocolNumber('icmp', true)).toBe(58);
    expect(protocolNumber('47', false)).toBe(47);
    expect(protocolNumber(null, false)).toBeNull();
  });
});

describe('ruleset', () => {
  const ports: FilteredPort[] = [
    { portId: 'p1', tap: 'tapp1', mac: '52:54:00:00:00:01', ips: ['10.0.0.5/24'], securityGroups: ['g-default'] },
    { portId: 'p2', tap: 'tapp2', mac: '52:54:00:00:00:02', ips: ['10.0.0.6/24'], portSecurity: false },
  ];
  const policy: HostNetworkPolicy = {
    revision: 1,
    ports: {},
    groups: [
      {
        id: 'g-default',
        members: ['10.0.0.5', '10.0.0.9', 'fd00::5'],
        rules: [
          rule({ direction: 'egress' }),
          rule({ direction: 'egress', ethertype: 'IPv6' }),
          rule({ remoteGroupId: 'g-default' }),
          rule({ ethertype: 'IPv6', remoteGroupId: 'g-default' }),
        ],
      },
    ],
  };
  it('filters ports with port security only, with anti-spoofing and group sets', () => {
    const text = renderRuleset(ports, policy);
    expect(text).toContain('iifname "tapp1" jump from_1');
    expect(text).not.toContain('tapp2');
    expect(text).toContain('ether saddr != 52:54:00:00:00:01 drop');
    expect(text).toContain('ip saddr != { 10.0.0.5, 0.0.0.0 } drop');
    expect(text).toContain('ether type ip udp sport 67 drop');
    expect(text).toContain('elements = { 10.0.0.5, 10.0.0.9 }');
    expect(text).toContain('elements = { fd00::5 }');
    expect(text).toMatch(/chain egress_1 \{\n.*\n\s+meta nfproto ipv4 return\n\s+meta nfproto ipv6 return\n\s+drop/);
    expect(text).toMatch(/chain ingress_1 \{\n.*\n\s+meta nfproto ipv4 ip saddr @g1_4 accept\n.*\n\s+drop/);
    // Replaces the tables atomically.
    expect(
      text.startsWith('table bridge brume\ndelete table bridge brume\ntable inet brume\ndelete table inet brume\n'),
    ).toBe(true);
  });
  it('a port whose groups are unknown yet drops everything but neighbour discovery (fail closed)', () => {
    const text = renderRuleset([ports[0] as FilteredPort], null);
    expect(text).toMatch(/chain ingress_1 \{\n.*icmpv6.*\n\s+drop\n/);
  });
  it('the policy names the groups of a port, overriding the spawn spec', () => {
    const text = renderRuleset(ports, { ...policy, ports: { p2: { securityGroups: [], portSecurity: true } } });
    expect(text).toContain('iifname "tapp2" jump from_2');
  });
  it('is deterministic', () => {
    expect(renderRuleset([...ports].reverse(), policy)).toBe(renderRuleset(ports, policy));
  });
});

describe('dnsmasq', () => {
  it('serves the subnet from the gateway address, or the highest host address without one', () => {
    expect(dhcpSubnet(['10.0.0.5/24'], '10.0.0.1', 1450)).toEqual({
      cidr: '10.0.0.0/24',
      serverIp: '10.0.0.1',
      gateway: '10.0.0.1',
      mtu: 1450,
    });
    expect(dhcpSubnet(['10.0.0.5/24'], null)).toMatchObject({ serverIp: '10.0.0.254', gateway: null, mtu: 1500 });
    expect(dhcpSubnet(['fd00::5/64'], null)).toBeNull();
  });
  it('renders fixed MAC -> IP entries, sorted', () => {
    expect(
      renderHostsFile([
        { mac: '52:54:00:00:00:0B', ip: '10.0.0.6' },
        { mac: '52:54:00:00:00:0a', ip: '10.0.0.5' },
      ]),
    ).toBe('52:54:00:00:00:0a,10.0.0.5\n52:54:00:00:00:0b,10.0.0.6\n');
    expect(renderHostsFile([])).toBe('');
  });
  it('binds to the bridge only, static leases, no DNS', () => {
    const subnet = dhcpSubnet(['10.0.0.5/24'], '10.0.0.1');
    if (!subnet) throw new Error('no subnet');
    const args = dnsmasqArgs({ bridge: 'brqx', subnet, hostsFile: '/d/h', pidFile: '/d/p' });
    expect(args).toEqual(
      expect.arrayContaining([
        '--port=0',
        '--interface=brqx',
        '--bind-interfaces',
        '--dhcp-range=10.0.0.0,static,255.255.255.0,12h',
        '--dhcp-hostsfile=/d/h',
        '--dhcp-option=option:router,10.0.0.1',
      ]),
    );
  });
});
