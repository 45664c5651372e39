import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InstancePort, InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';

const execFileAsync = promisify(execFile);

/** Prefix length -> dotted IPv4 mask, or expanded IPv6 mask (the form Nova writes in network_data.json). */
export function prefixToNetmask(prefix: number, v6: boolean): string {
  const bits = v6 ? 128 : 32;
  const all = Array.from({ length: bits }, (_, i) => (i < prefix ? 1 : 0));
  if (!v6) {
    return [0, 1, 2, 3].map((o) => parseInt(all.slice(o * 8, o * 8 + 8).join(''), 2)).join('.');
  }
  return Array.from({ length: 8 }, (_, g) =>
    parseInt(all.slice(g * 16, g * 16 + 16).join(''), 2)
      .toString(16)
      .padStart(4, '0'),
  ).join(':');
}

/** OpenStack `meta_data.json` (one key per line, which the test guest's /init relies on). */
export function metaData(spec: InstanceSpec): Record<string, unknown> {
  const keys = Object.entries(spec.publicKeys ?? {});
  return {
    uuid: spec.id,
    name: spec.name,
    hostname: spec.hostname,
    launch_index: 0,
    availability_zone: spec.availabilityZone ?? 'nova',
    project_id: spec.projectId,
    public_keys: Object.fromEntries(keys),
    keys: keys.map(([name, data]) => ({ name, type: data.startsWith('ssh-') ? 'ssh' : 'x509', data })),
    meta: spec.metadata ?? {},
    // Nova's device metadata: tagged NICs (os-interface `tag`).
    devices: spec.ports.flatMap((p) =>
      p.tag ? [{ type: 'nic', bus: 'pci', mac: p.mac, tags: [p.tag], vf_trusted: false }] : [],
    ),
  };
}

/** An address as a number (IPv4: 32 bits, IPv6: 128), or null when it does not parse. */
function addressBits(ip: string): { v6: boolean; n: bigint } | null {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) {
    return { v6: false, n: ip.split('.').reduce((acc, o) => acc * 256n + BigInt(Number(o) & 255), 0n) };
  }
  if (!ip.includes(':')) return null;
  const [head = '', tail] = ip.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return { v6: true, n: all.reduce((acc, g) => acc * 65536n + BigInt(Number.parseInt(g, 16)), 0n) };
}

/** True when `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  const [net = '', p = ''] = cidr.split('/');
  const a = addressBits(ip);
  const b = addressBits(net);
  if (!a || !b || a.v6 !== b.v6) return false;
  const bits = a.v6 ? 128n : 32n;
  const shift = bits - BigInt(Number(p));
  return shift >= 0n && a.n >> shift === b.n >> shift;
}

/** A `routes` entry of network_data.json. */
function route(destination: string, gateway: string): Record<string, string> {
  const [network = destination, p = ''] = destination.split('/');
  const v6 = network.includes(':');
  return { network, netmask: prefixToNetmask(Number(p || (v6 ? 128 : 32)), v6), gateway };
}

/**
 * The `links`/`networks`/`services` document built from the ports (IPv4 networks first). A port's `subnets`, when
 * the site sent them, give each address its gateway, host routes and DNS servers; else the port's `gateway` serves.
 */
export function networkData(ports: InstancePort[]): Record<string, unknown> {
  const links = ports.map((port, i) => ({
    id: `tap${port.id.slice(0, 11)}`,
    vif_id: port.id,
    type: 'vif',
    ethernet_mac_address: port.mac,
    mtu: port.mtu ?? 1500,
    name: `eth${i}`,
  }));
  const dns = new Set<string>();
  const networks = ports.flatMap((port) =>
    port.ips.map((cidr) => {
      const [address = cidr, prefixText] = cidr.split('/');
      const v6 = address.includes(':');
      const prefix = Number(prefixText ?? (v6 ? 64 : 24));
      const subnet = port.subnets?.find((s) => inCidr(address, s.cidr));
      const candidate = subnet ? subnet.gateway : port.gateway;
      const gateway = candidate && candidate.includes(':') === v6 ? candidate : null;
      const routes = [
        ...(gateway ? [route(v6 ? '::/0' : '0.0.0.0/0', gateway)] : []),
        ...(subnet?.hostRoutes ?? []).map((r) => route(r.destination, r.nexthop)),
      ];
      const servers = subnet?.dnsNameservers ?? [];
      for (const s of servers) dns.add(s);
      return {
        id: `network-${port.id.slice(0, 8)}-${v6 ? 6 : 4}`,
        type: v6 ? 'ipv6' : 'ipv4',
        link: `tap${port.id.slice(0, 11)}`,
        ip_address: address,
        netmask: prefixToNetmask(prefix, v6),
        routes,
        network_id: port.networkId,
        services: servers.map((address) => ({ type: 'dns', address })),
      };
    }),
  );
  networks.sort((a, b) => (a.type === b.type ? 0 : a.type === 'ipv4' ? -1 : 1));
  return { links, networks, services: [...dns].map((address) => ({ type: 'dns', address })) };
}

/** Writes the OpenStack config drive (label `config-2`, iso9660) for `spec` to `isoPath`; `workDir` is scratch. */
export async function buildConfigDrive(spec: InstanceSpec, workDir: string, isoPath: string): Promise<void> {
  const latest = join(workDir, 'openstack', 'latest');
  await mkdir(latest, { recursive: true });
  await writeFile(join(latest, 'meta_data.json'), `${JSON.stringify(metaData(spec), null, 2)}\n`);
  await writeFile(join(latest, 'network_data.json'), `${JSON.stringify(networkData(spec.ports), null, 2)}\n`);
  await writeFile(join(latest, 'vendor_data.json'), '{}\n');
  if (spec.userData) await writeFile(join(latest, 'user_data'), Buffer.from(spec.userData, 'base64'));
  try {
    await execFileAsync('genisoimage', ['-quiet', '-o', isoPath, '-V', 'config-2', '-r', '-J', workDir]);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
