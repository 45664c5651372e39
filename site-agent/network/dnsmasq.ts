/**
 * DHCP of one network on this host: a dnsmasq bound to the network's bridge inside the namespace, answering only the
 * fixed MAC -> IP entries Neutron's IPAM allocated (`static` range), from a hosts file re-read on SIGHUP. Every
 * IPv4 subnet of the network's ports is served (a range each, tagged, with its own router, DNS servers and host
 * routes); the MTU is the network's. Rendering here, plus the small process helpers the data plane runs it with.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { PortSubnet } from '../../shared/schemas/agent-protocol.ts';
import { prefixToNetmask } from '../drivers/qemu/config-drive.ts';
import { isOurProcess, signal } from '../drivers/qemu/process.ts';

/** The IPv4 subnet a network is served on, as learnt from its ports. */
export interface DhcpSubnet {
  /** Network address and prefix, e.g. `10.0.0.0/24`. */
  cidr: string;
  /** The bridge's own address in the subnet (the gateway when the subnet has one). */
  serverIp: string;
  gateway: string | null;
  mtu: number;
  /** DNS servers (option 6); absent or empty: none sent. */
  dns?: string[];
  /** Neutron's host routes (sent in option 121 after the metadata and default routes). */
  hostRoutes?: PortSubnet['hostRoutes'];
}

/** A DHCP host entry. */
export interface DhcpHost {
  mac: string;
  ip: string;
}

const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const toInt = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The first IPv4 address (with prefix 8-30) of a port, split. */
export function firstV4(ips: string[]): { ip: string; prefix: number } | null {
  for (const cidr of ips) {
    const [ip = '', p = ''] = cidr.split('/');
    const prefix = Number(p);
    if (v4.test(ip) && Number.isInteger(prefix) && prefix >= 8 && prefix <= 30) return { ip, prefix };
  }
  return null;
}

/**
 * The subnet of a port's first IPv4 address. The bridge takes the gateway address; without a gateway, the highest
 * host address of the subnet (Neutron leaves it to its DHCP port; IPAM hands out addresses from the bottom).
 */
export function dhcpSubnet(ips: string[], gateway: string | null | undefined, mtu?: number): DhcpSubnet | null {
  const first = firstV4(ips);
  if (!first) return null;
  const size = 2 ** (32 - first.prefix);
  const base = Math.floor(toInt(first.ip) / size) * size;
  const gw = gateway && v4.test(gateway) ? toInt(gateway) : null;
  const inside = gw !== null && gw > base && gw < base + size - 1;
  return {
    cidr: `${toIp(base)}/${first.prefix}`,
    serverIp: toIp(inside && gw !== null ? gw : base + size - 2),
    gateway: inside && gw !== null ? toIp(gw) : null,
    mtu: mtu ?? 1500,
  };
}

/** The hosts file (`MAC,IP` lines, sorted: the same entries always give the same bytes). */
export function renderHostsFile(hosts: DhcpHost[]): string {
  const lines = hosts.map((h) => `${h.mac.toLowerCase()},${h.ip}`).sort();
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** The ports of a network as DHCP needs them. */
export interface DhcpMember {
  ips: string[];
  mtu: number;
  subnets?: PortSubnet[];
}

/** The site's options of a subnet (DNS servers, host routes, gateway) when a port brought them. */
function siteSubnet(members: DhcpMember[], cidr: string): PortSubnet | undefined {
  return members.flatMap((m) => m.subnets ?? []).find((s) => s.cidr === cidr);
}

/** `subnet` with the DNS servers and host routes the site gave for it. */
export function withSubnetOptions(subnet: DhcpSubnet, members: DhcpMember[]): DhcpSubnet {
  const site = siteSubnet(members, subnet.cidr);
  return site ? { ...subnet, dns: site.dnsNameservers, hostRoutes: site.hostRoutes } : subnet;
}

/**
 * The network's other IPv4 subnets (beyond `primary`), once each. The bridge takes the subnet's highest host address
 * in each (a router leg may hold the gateway); DHCP still names the site's gateway.
 */
export function extraSubnets(members: DhcpMember[], primary: DhcpSubnet): DhcpSubnet[] {
  const out = new Map<string, DhcpSubnet>();
  for (const m of members) {
    for (const cidr of m.ips) {
      const one = dhcpSubnet([cidr], null, m.mtu);
      if (!one || one.cidr === primary.cidr || out.has(one.cidr)) continue;
      const site = siteSubnet(members, one.cidr);
      const gw = site?.gateway ?? null;
      const inside = gw !== null && dhcpSubnet([`${gw}/${one.cidr.split('/')[1]}`], null)?.cidr === one.cidr;
      out.set(one.cidr, withSubnetOptions({ ...one, gateway: inside ? gw : null, mtu: primary.mtu }, members));
    }
  }
  return [...out.values()].sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** The options of one subnet, with `tag` (extra subnets) or untagged (the first). */
function subnetOptions(subnet: DhcpSubnet, tag: string | null): string[] {
  const t = tag ? `tag:${tag},` : '';
  const args = [
    subnet.gateway ? `--dhcp-option=${t}option:router,${subnet.gateway}` : `--dhcp-option=${t}option:router`,
  ];
  const dns = subnet.dns ?? [];
  // Tagged subnets say "none" explicitly: the first subnet's untagged options would apply to them otherwise.
  if (dns.length > 0) args.push(`--dhcp-option=${t}option:dns-server,${dns.join(',')}`);
  else if (tag) args.push(`--dhcp-option=${t}option:dns-server`);
  // The metadata service sits on this bridge (metadata.ts): option 121 routes 169.254.169.254 to it, whichever
  // address the gateway is. A client given option 121 ignores option 3 (RFC 3442), so the default route goes too.
  const routes = [`169.254.169.254/32,${subnet.serverIp}`];
  if (subnet.gateway) routes.push(`0.0.0.0/0,${subnet.gateway}`);
  for (const r of subnet.hostRoutes ?? []) {
    if (!r.destination.includes(':') && !r.nexthop.includes(':')) routes.push(`${r.destination},${r.nexthop}`);
  }
  args.push(`--dhcp-option=${t}option:classless-static-route,${routes.join(',')}`);
  return args;
}

/** dnsmasq's command line for one network (it daemonizes and writes `pidFile`). */
export function dnsmasqArgs(opts: {
  bridge: string;
  subnet: DhcpSubnet;
  /** The network's other IPv4 subnets ({@link extraSubnets}). */
  extra?: DhcpSubnet[];
  hostsFile: string;
  pidFile: string;
}): string[] {
  const range = (subnet: DhcpSubnet, tag: string | null) => {
    const [network = '', prefix = '24'] = subnet.cidr.split('/');
    const mask = prefixToNetmask(Number(prefix), false);
    return `--dhcp-range=${tag ? `set:${tag},` : ''}${network},static,${mask},12h`;
  };
  const args = [
    '--conf-file=/dev/null',
    '--port=0',
    '--no-resolv',
    '--no-hosts',
    '--user=root',
    '--group=root',
    `--interface=${opts.bridge}`,
    '--except-interface=lo',
    '--bind-interfaces',
    `--pid-file=${opts.pidFile}`,
    '--leasefile-ro',
    '--dhcp-authoritative',
    range(opts.subnet, null),
    `--dhcp-hostsfile=${opts.hostsFile}`,
    `--dhcp-option=option:mtu,${opts.subnet.mtu}`,
    ...subnetOptions(opts.subnet, null),
  ];
  (opts.extra ?? []).forEach((x, i) => {
    args.push(range(x, `s${i + 1}`), ...subnetOptions(x, `s${i + 1}`));
  });
  return args;
}

/** Records the command line a dnsmasq runs with (`<pidFile>.args`); true when it differs from the recorded one. */
export async function argsChanged(pidFile: string, args: string[]): Promise<boolean> {
  const text = `${args.join('\n')}\n`;
  const before = await readFile(`${pidFile}.args`, 'utf8').catch(() => undefined);
  if (before === text) return false;
  await writeFile(`${pidFile}.args`, text);
  return true;
}

/** Stops a dnsmasq and waits (up to ~5 s) until it is gone, so a new one can bind the bridge. */
export async function stopDnsmasq(pid: number, marker: string): Promise<void> {
  signal(pid, 'SIGTERM');
  for (let i = 0; i < 100 && (await isOurProcess(pid, marker)); i++) await new Promise((r) => setTimeout(r, 50));
}
