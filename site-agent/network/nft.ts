/**
 * Renders the security-group policy of a host's ports into one nftables ruleset (pure; applied atomically with
 * `nft -f`). Measured on these hosts: the bridge family has no conntrack (no nf_conntrack_bridge), so the filtering
 * is stateful in the `inet` family through br_netfilter (`bridge-nf-call-ip[6]tables=1` in the namespace), and the
 * bridge family only tells it which ports a frame came in and goes out on, by packet marks set before br_netfilter:
 * bits 0-15 the index of the port it came from (egress of that port), bits 16-31 the port it goes to (ingress).
 * The bridge family also drops spoofed MAC/IP/ARP sources. Egress chains `return` on a match so the destination's
 * ingress chain still runs; both end in `drop`, replies pass through `ct state established,related`.
 */
import type { HostNetworkPolicy, SecurityGroupSpec, SecurityRuleSpec } from '../../shared/schemas/network-policy.ts';

/** A port plugged on this host, as the ruleset needs it. */
export interface FilteredPort {
  portId: string;
  tap: string;
  mac: string;
  /** Addresses with prefix length (`10.0.0.5/24`). */
  ips: string[];
  /** From the spawn spec; the host policy, when it names the port, wins. */
  securityGroups?: string[];
  portSecurity?: boolean;
}

/** The two tables the data plane owns in its namespace. */
export const TABLE = 'brume';

const PROTOCOLS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  dccp: 33,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  ospf: 89,
  vrrp: 112,
  sctp: 132,
  udplite: 136,
};
const WITH_PORTS = new Set([6, 17, 33, 132, 136]);

const isV6 = (ip: string) => ip.includes(':');
const addr = (cidr: string) => cidr.split('/')[0] ?? cidr;
const set = (items: string[]) => `{ ${items.join(', ')} }`;

/** The protocol number of a rule (null: any; undefined: not understood, the rule is skipped). */
export function protocolNumber(protocol: string | null, v6: boolean): number | null | undefined {
  if (protocol === null || protocol === '' || protocol === 'any') return null;
  const n = /^\d+$/.test(protocol) ? Number(protocol) : PROTOCOLS[protocol.toLowerCase()];
  if (n === undefined || n > 255) return undefined;
  // Neutron: `icmp` on an IPv6 rule means ICMPv6.
  return v6 && n === 1 ? 58 : n;
}

/** The match part of one rule (without verdict), or null when it cannot be expressed (skipped, fail closed). */
export function ruleMatch(rule: SecurityRuleSpec, groupSet: (groupId: string) => string | undefined): string | null {
  const v6 = rule.ethertype === 'IPv6';
  const fam = v6 ? 'ip6' : 'ip';
  const parts = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];
  const dir = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  if (rule.remoteGroupId) {
    const name = groupSet(rule.remoteGroupId);
    if (!name) return null;
    parts.push(`${fam} ${dir} @${name}_${v6 ? 6 : 4}`);
  } else if (rule.remoteIpPrefix) {
    const prefix = rule.remoteIpPrefix;
    if (isV6(prefix) !== v6) return null;
    if (!/^(0\.0\.0\.0|::)\/0$/.test(prefix)) parts.push(`${fam} ${dir} ${prefix}`);
  }
  const proto = protocolNumber(rule.protocol, v6);
  if (proto === undefined) return null;
  if (proto !== null) {
    parts.push(`meta l4proto ${proto}`);
    const { portMin: min, portMax: max } = rule;
    if (proto === 1 || proto === 58) {
      const icmp = proto === 1 ? 'icmp' : 'icmpv6';
      if (min !== null) parts.push(`${icmp} type ${min}`);
      if (min !== null && max !== null) parts.push(`${icmp} code ${max}`);
    } else if (WITH_PORTS.has(proto) && (min !== null || max !== null)) {
      const lo = min ?? 1;
      const hi = max ?? 65535;
      if (!(lo === 1 && hi === 65535)) parts.push(`th dport ${lo === hi ? lo : `${lo}-${hi}`}`);
    }
  }
  return parts.join(' ');
}

/** The whole ruleset text: replaces both tables atomically. */
export function renderRuleset(ports: FilteredPort[], policy: HostNetworkPolicy | null): string {
  const groups = new Map<string, SecurityGroupSpec>((policy?.groups ?? []).map((g) => [g.id, g]));
  const setNames = new Map<string, string>();
  [...groups.keys()].sort().forEach((id, i) => {
    setNames.set(id, `g${i + 1}`);
  });
  const filtered = [...ports]
    .sort((a, b) => a.tap.localeCompare(b.tap))
    .map((p) => {
      const sec = policy?.ports[p.portId] ?? {
        securityGroups: p.securityGroups ?? [],
        portSecurity: p.portSecurity ?? true,
      };
      return { ...p, ...sec };
    })
    .filter((p) => p.portSecurity)
    .map((p, i) => ({ ...p, index: i + 1 }));

  const out: string[] = [];
  const line = (depth: number, text: string) => out.push(`${'  '.repeat(depth)}${text}`);
  for (const family of ['bridge', 'inet']) {
    line(0, `table ${family} ${TABLE}`);
    line(0, `delete table ${family} ${TABLE}`);
  }

  // Bridge family: marks and anti-spoofing.
  line(0, `table bridge ${TABLE} {`);
  line(1, 'chain prerouting {');
  line(2, 'type filter hook prerouting priority -200; policy accept;');
  for (const p of filtered) line(2, `iifname "${p.tap}" jump from_${p.index}`);
  line(1, '}');
  line(1, 'chain forward {');
  line(2, 'type filter hook forward priority -200; policy accept;');
  for (const p of filtered)
    line(2, `oifname "${p.tap}" meta mark set meta mark | 0x${(p.index * 0x10000).toString(16)}`);
  line(1, '}');
  for (const p of filtered) {
    const v4 = p.ips.map(addr).filter((a) => !isV6(a));
    const v6 = p.ips.map(addr).filter(isV6);
    line(1, `chain from_${p.index} {`);
    line(2, `meta mark set ${p.index}`);
    line(2, `ether saddr != ${p.mac.toLowerCase()} drop`);
    line(2, `ether type arp arp saddr ether != ${p.mac.toLowerCase()} drop`);
    line(2, `ether type arp arp saddr ip != ${set([...v4, '0.0.0.0'])} drop`);
    line(2, `ether type ip ip saddr != ${set([...v4, '0.0.0.0'])} drop`);
    line(2, `ether type ip6 ip6 saddr != ${set([...v6, 'fe80::/10', '::'])} drop`);
    // A VM never serves DHCP or advertises itself as a router to its neighbours.
    line(2, 'ether type ip udp sport 67 drop');
    line(2, 'ether type ip6 icmpv6 type nd-router-advert drop');
    line(1, '}');
  }
  line(0, '}');

  // Inet family: stateful security groups.
  line(0, `table inet ${TABLE} {`);
  for (const [id, name] of setNames) {
    const members = groups.get(id)?.members ?? [];
    for (const [suffix, type, items] of [
      ['4', 'ipv4_addr', members.filter((m) => !isV6(m))],
      ['6', 'ipv6_addr', members.filter(isV6)],
    ] as const) {
      line(1, `set ${name}_${suffix} {`);
      line(2, `type ${type}`);
      if (items.length > 0) line(2, `elements = ${set([...new Set(items)].sort())}`);
      line(1, '}');
    }
  }
  const egressMap = set(filtered.map((p) => `${p.index} : jump egress_${p.index}`));
  const ingressMap = set(filtered.map((p) => `0x${(p.index * 0x10000).toString(16)} : jump ingress_${p.index}`));
  line(1, 'chain forward {');
  line(2, 'type filter hook forward priority 0; policy accept;');
  line(2, 'ct state established,related accept');
  if (filtered.length > 0) {
    line(2, `meta mark & 0xffff vmap ${egressMap}`);
    line(2, `meta mark & 0xffff0000 vmap ${ingressMap}`);
  }
  line(1, '}');
  line(1, 'chain input {');
  line(2, 'type filter hook input priority 0; policy accept;');
  line(2, 'ct state established,related accept');
  line(2, 'udp sport 68 udp dport 67 accept');
  if (filtered.length > 0) line(2, `meta mark & 0xffff vmap ${egressMap}`);
  line(1, '}');
  for (const p of filtered) {
    const rules = p.securityGroups.flatMap((g) => groups.get(g)?.rules ?? []);
    const matches = (direction: SecurityRuleSpec['direction']) => [
      ...new Set(
        rules
          .filter((r) => r.direction === direction)
          .map((r) => ruleMatch(r, (id) => setNames.get(id)))
          .filter((m): m is string => m !== null),
      ),
    ];
    line(1, `chain egress_${p.index} {`);
    line(2, 'meta l4proto ipv6-icmp icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } return');
    for (const m of matches('egress')) line(2, `${m} return`);
    line(2, 'drop');
    line(1, '}');
    line(1, `chain ingress_${p.index} {`);
    line(2, 'meta l4proto ipv6-icmp icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept');
    for (const m of matches('ingress')) line(2, `${m} accept`);
    line(2, 'drop');
    line(1, '}');
  }
  line(0, '}');
  return `${out.join('\n')}\n`;
}

/** Removes both tables (the text for `nft -f`; harmless when they do not exist). */
export function renderFlush(): string {
  return ['bridge', 'inet']
    .flatMap((f) => [`table ${f} ${TABLE}`, `delete table ${f} ${TABLE}`])
    .join('\n')
    .concat('\n');
}
