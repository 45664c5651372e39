/**
 * The metadata service on an agent host, pure parts. Guests reach 169.254.169.254:80 through their bridge; an
 * nftables DNAT sends each network's requests to an address of its own on the namespace's `lo` (169.254.170.<n>),
 * where the in-namespace proxy (metadata-proxy.ts) listens. The address the request arrived at names the network,
 * the source address the port on it: overlapping CIDRs on one host never mix, since replies leave by a routing table
 * of that network (`ip rule from <address> lookup <table>`), not by the main table where equal subnets collide.
 * Direct connections to those addresses (without the DNAT, e.g. from another network) are dropped.
 */
import type { FilteredPort } from './nft.ts';

/** The address every guest asks. */
export const METADATA_IP = '169.254.169.254';
/** Per-network addresses come from this range (index 1..510). */
export const METADATA_RANGE = '169.254.170.0/23';
/** Networks one host can serve metadata on. */
export const MAX_METADATA_NETWORKS = 510;
/** Routing tables (and rule priorities) of the networks: base + index. */
export const TABLE_BASE = 17000;
/** The nftables table the service owns in the namespace. */
export const METADATA_TABLE = 'brume_metadata';
/** Headers the proxy sets (and overwrites) for the relay: where the request arrived, and from whom. */
export const LOCAL_ADDRESS_HEADER = 'x-brume-local-address';
export const FORWARDED_FOR_HEADER = 'x-forwarded-for';

/** The address of a network's index on `lo`. */
export function metadataAddress(index: number): string {
  const n = 170 * 256 + index;
  return `169.254.${Math.floor(n / 256)}.${n % 256}`;
}

/** The index an address stands for, or null when it is not one of ours. */
export function indexOfAddress(address: string): number | null {
  const m = /^(?:::ffff:)?169\.254\.(17[01])\.(\d{1,3})$/.exec(address);
  if (!m) return null;
  const index = (Number(m[1]) - 170) * 256 + Number(m[2]);
  return index >= 1 && index <= MAX_METADATA_NETWORKS ? index : null;
}

/**
 * Indexes of `networks`, keeping the ones already given (`current`) and giving new networks the smallest free one;
 * networks beyond the limit get none (they are left without metadata, and the caller logs it).
 */
export function assignIndexes(current: Record<string, number>, networks: string[]): Record<string, number> {
  const wanted = new Set(networks);
  const next: Record<string, number> = {};
  for (const [id, index] of Object.entries(current)) if (wanted.has(id)) next[id] = index;
  const used = new Set(Object.values(next));
  let candidate = 1;
  for (const id of [...wanted].sort()) {
    if (next[id] !== undefined) continue;
    while (used.has(candidate)) candidate++;
    if (candidate > MAX_METADATA_NETWORKS) break;
    next[id] = candidate;
    used.add(candidate);
  }
  return next;
}

/** A network served on this host. */
export interface MetadataNetwork {
  networkId: string;
  bridge: string;
  index: number;
}

/** The nftables text of the service (replaces its table atomically; `nft -f`). */
export function renderMetadataRuleset(networks: MetadataNetwork[]): string {
  const out = [`table ip ${METADATA_TABLE}`, `delete table ip ${METADATA_TABLE}`, `table ip ${METADATA_TABLE} {`];
  out.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  for (const n of [...networks].sort((a, b) => a.index - b.index)) {
    out.push(`    iifname "${n.bridge}" ip daddr ${METADATA_IP} tcp dport 80 dnat to ${metadataAddress(n.index)}`);
  }
  out.push('  }', '  chain input {', '    type filter hook input priority filter; policy accept;');
  // Only through the DNAT above: a guest cannot name another network's address (and so its instances) directly.
  out.push(`    ip daddr ${METADATA_RANGE} ct original ip daddr != ${METADATA_IP} drop`);
  out.push('  }', '}');
  return `${out.join('\n')}\n`;
}

/** A port as the lookup needs it. */
export interface MetadataPort extends Pick<FilteredPort, 'portId' | 'ips'> {
  instanceId: string;
  networkId: string;
}

/** The instance behind a request: the port on `networkId` holding `sourceIp` (null when none). */
export function instanceFor(ports: MetadataPort[], networkId: string, sourceIp: string): string | null {
  const ip = sourceIp.replace(/^::ffff:/, '');
  const port = ports.find((p) => p.networkId === networkId && p.ips.some((cidr) => (cidr.split('/')[0] ?? '') === ip));
  return port?.instanceId ?? null;
}
