/**
 * The NAT of one router namespace as one nftables table (pure; applied atomically with `nft -f`), as Neutron's L3
 * agent does it with iptables: each floating IP is a 1:1 DNAT (prerouting, and output for the router itself) plus the
 * matching SNAT of its fixed address leaving by the gateway; with `enable_snat`, every other internal address leaving
 * by the gateway is SNATed to the gateway's address. Traffic between the router's internal subnets is routed as is.
 */

/** What the NAT of one router needs. */
export interface NatSpec {
  /** The gateway leg (`qg-…`), or null for a router without an external gateway (no NAT at all). */
  gatewayDevice: string | null;
  /** The gateway port's first IPv4 address (no prefix): the SNAT source. */
  gatewayIp: string | null;
  enableSnat: boolean;
  /** The internal IPv4 subnets (`10.0.0.0/24`) whose traffic is SNATed. */
  internalCidrs: string[];
  floatingIps: Array<{ floatingIp: string; fixedIp: string }>;
}

/** The table the router namespace's NAT lives in. */
export const NAT_TABLE = 'brume_nat';

const isV4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);

/** The ruleset text: replaces the router's NAT table atomically. */
export function renderNat(spec: NatSpec): string {
  const out = [`table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`, `table ip ${NAT_TABLE} {`];
  const fips = [...spec.floatingIps]
    .filter((f) => isV4(f.floatingIp) && isV4(f.fixedIp))
    .sort((a, b) => a.floatingIp.localeCompare(b.floatingIp));
  const dev = spec.gatewayDevice;
  out.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  if (dev) for (const f of fips) out.push(`    ip daddr ${f.floatingIp} dnat to ${f.fixedIp}`);
  out.push('  }');
  out.push('  chain output {', '    type nat hook output priority -100; policy accept;');
  if (dev) for (const f of fips) out.push(`    ip daddr ${f.floatingIp} dnat to ${f.fixedIp}`);
  out.push('  }');
  out.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
  if (dev) {
    for (const f of fips) out.push(`    oifname "${dev}" ip saddr ${f.fixedIp} snat to ${f.floatingIp}`);
    const cidrs = [...new Set(spec.internalCidrs)].sort();
    if (spec.enableSnat && spec.gatewayIp && isV4(spec.gatewayIp) && cidrs.length > 0) {
      out.push(`    oifname "${dev}" ip saddr { ${cidrs.join(', ')} } snat to ${spec.gatewayIp}`);
    }
  }
  out.push('  }', '}');
  return `${out.join('\n')}\n`;
}

/** The network address of an address with prefix (`10.0.0.1/24` -> `10.0.0.0/24`), IPv4 only (else null). */
export function networkOf(cidr: string): string | null {
  const [ip = '', p = ''] = cidr.split('/');
  const prefix = Number(p);
  if (!isV4(ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return null;
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(n / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${prefix}`;
}
