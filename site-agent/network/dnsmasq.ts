/**
 * DHCP of one network on this host: a dnsmasq bound to the network's bridge inside the namespace, answering only the
 * fixed MAC -> IP entries Neutron's IPAM allocated (`static` range), from a hosts file re-read on SIGHUP. Pure
 * rendering here; the process is run by the data plane.
 */
import { prefixToNetmask } from '../drivers/qemu/config-drive.ts';

/** The IPv4 subnet a network is served on, as learnt from its ports. */
export interface DhcpSubnet {
  /** Network address and prefix, e.g. `10.0.0.0/24`. */
  cidr: string;
  /** The bridge's own address in the subnet (the gateway when the subnet has one). */
  serverIp: string;
  gateway: string | null;
  mtu: number;
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

/** dnsmasq's command line for one network (it daemonizes and writes `pidFile`). */
export function dnsmasqArgs(opts: {
  bridge: string;
  subnet: DhcpSubnet;
  hostsFile: string;
  pidFile: string;
}): string[] {
  const [network = '', prefix = '24'] = opts.subnet.cidr.split('/');
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
    `--dhcp-range=${network},static,${prefixToNetmask(Number(prefix), false)},12h`,
    `--dhcp-hostsfile=${opts.hostsFile}`,
    `--dhcp-option=option:mtu,${opts.subnet.mtu}`,
  ];
  args.push(opts.subnet.gateway ? `--dhcp-option=option:router,${opts.subnet.gateway}` : '--dhcp-option=option:router');
  // The metadata service sits on this bridge (metadata.ts): option 121 routes 169.254.169.254 to it, whichever
  // address the gateway is. A client given option 121 ignores option 3 (RFC 3442), so the default route goes too.
  const routes = [`169.254.169.254/32,${opts.subnet.serverIp}`];
  if (opts.subnet.gateway) routes.push(`0.0.0.0/0,${opts.subnet.gateway}`);
  args.push(`--dhcp-option=option:classless-static-route,${routes.join(',')}`);
  return args;
}
