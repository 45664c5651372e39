/**
 * IPv4/IPv6 address and CIDR arithmetic over bigints (one code path for both families). Pure.
 */

/** A parsed address. */
export interface Ip {
  version: 4 | 6;
  value: bigint;
}

/** A parsed CIDR: `network` is the first address, `prefix` the prefix length. */
export interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

const bits = (v: 4 | 6) => (v === 4 ? 32 : 128);

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] ?? '';
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let v = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an IPv4 or IPv6 address; null when it is neither. */
export function parseIp(s: string): Ip | null {
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { version: 4, value: v };
}

/** The canonical text of an address (RFC 5952 for IPv6). */
export function formatIp(ip: Ip): string {
  if (ip.version === 4) {
    const o: number[] = [];
    for (let i = 3; i >= 0; i--) o.push(Number((ip.value >> BigInt(8 * i)) & 0xffn));
    return o.join('.');
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((ip.value >> BigInt(16 * i)) & 0xffffn));
  // Longest run (>= 2) of zero groups becomes '::'.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Canonical text of an address string, or null when invalid. */
export function canonicalIp(s: string): string | null {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : null;
}

/** Why a CIDR string is not a valid subnet, or the parsed CIDR. `strict` rejects host bits. */
export function parseCidr(s: string, strict = true): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(s);
  const ip = m ? parseIp(m[1] ?? '') : null;
  if (!m || !ip) return { ok: false, reason: `'${s}' is not a valid IP subnet` };
  const prefix = Number(m[2]);
  if (prefix > bits(ip.version)) return { ok: false, reason: `'${s}' is not a valid IP subnet` };
  const network = ip.value & maskOf(ip.version, prefix);
  const cidr: Cidr = { version: ip.version, network, prefix };
  if (strict && network !== ip.value) {
    return { ok: false, reason: `'${s}' isn't a recognized IP subnet cidr, '${formatCidr(cidr)}' is recommended` };
  }
  return { ok: true, cidr };
}

function maskOf(version: 4 | 6, prefix: number): bigint {
  const b = BigInt(bits(version));
  const all = (1n << b) - 1n;
  return (all << (b - BigInt(prefix))) & all;
}

/** Canonical text of a CIDR. */
export function formatCidr(c: Cidr): string {
  return `${formatIp({ version: c.version, value: c.network })}/${c.prefix}`;
}

/** The last address of a CIDR. */
export function lastOf(c: Cidr): bigint {
  return c.network + (1n << BigInt(bits(c.version) - c.prefix)) - 1n;
}

/** True when `ip` lies inside `c`. */
export function contains(c: Cidr, ip: Ip): boolean {
  return ip.version === c.version && ip.value >= c.network && ip.value <= lastOf(c);
}

/** True when two CIDRs of the same family share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastOf(b) && b.network <= lastOf(a);
}

/** The usable host range of a subnet (IPv4 skips network and broadcast addresses when there are hosts between). */
export function hostRange(c: Cidr): { first: bigint; last: bigint } | null {
  const last = lastOf(c);
  if (c.version === 4) {
    if (c.prefix >= 31) return { first: c.network, last };
    return { first: c.network + 1n, last: last - 1n };
  }
  if (c.prefix === 128) return { first: c.network, last };
  return { first: c.network + 1n, last };
}
