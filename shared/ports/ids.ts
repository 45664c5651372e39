/** Where new identifiers come from; seeded in simulation so runs replay bit for bit. */
export interface IdSource {
  /** A new RFC 9562 UUIDv7 (time-ordered), lower-case with dashes. */
  uuid(): string;
  /** `n` random bytes (secrets, MAC addresses, passwords). */
  bytes(n: number): Uint8Array;
}

/** Formats 16 bytes as a UUIDv7 using `ms` as its timestamp. Pure: the caller supplies time and randomness. */
export function uuidv7(ms: number, random: Uint8Array): string {
  const b = new Uint8Array(16);
  b.set(random.subarray(0, 16));
  const t = BigInt(Math.floor(ms));
  for (let i = 0; i < 6; i++) b[i] = Number((t >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Lower-case hex of `bytes`. Runtime-neutral (the Worker imports this file). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const v of bytes) out += v.toString(16).padStart(2, '0');
  return out;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** UUIDv7 ids from the wall clock and the platform's CSPRNG (Web Crypto: Node and workerd alike). */
export function systemIds(now: () => number = Date.now): IdSource {
  return { uuid: () => uuidv7(now(), randomBytes(16)), bytes: randomBytes };
}

/** Deterministic ids for tests and simulation (xorshift128+ seeded). */
export function seededIds(seed: number, now: () => number): IdSource {
  let s0 = BigInt(seed) | 1n;
  let s1 = BigInt(seed) * 0x9e3779b97f4a7c15n + 7n;
  const mask = (1n << 64n) - 1n;
  const next = (): bigint => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & mask;
  };
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      let v = next();
      for (let j = 0; j < 8 && i + j < n; j++) {
        out[i + j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  };
  return { uuid: () => uuidv7(now(), bytes(16)), bytes };
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** True for a UUID with or without dashes (how OpenStack clients decide "this is an id, not a name"). */
export function isUuidLike(value: string): boolean {
  return UUID_RE.test(value);
}

/** Keystone-style id: 32 lower-case hex characters (a UUID without dashes). */
export function hexId(ids: IdSource): string {
  return ids.uuid().replaceAll('-', '');
}
