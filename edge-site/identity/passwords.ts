import { scrypt, timingSafeEqual } from 'node:crypto';
import type { IdSource } from '../../shared/ports/ids.ts';

/** scrypt cost: N=2^14, r=8, p=1 takes ~35 ms on the reference machine (OWASP's minimum is N=2^17 with r=8 p=1 for
 * interactive logins at higher cost; we trade some cost for token-issue throughput, and the parameters travel in
 * the hash so they can be raised later without breaking stored hashes). */
const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEYLEN, { N: n, r, p, maxmem: 256 * n * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password as `$scrypt$n=16384,r=8,p=1$<salt b64>$<hash b64>` (PHC-like). */
export async function hashPassword(password: string, ids: IdSource): Promise<string> {
  const salt = Buffer.from(ids.bytes(16));
  const key = await derive(password, salt, N, R, P);
  return `$scrypt$n=${N},r=${R},p=${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  if (!stored) return false;
  const m = /^\$scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const [, n, r, p, salt, hash] = m;
  const expected = Buffer.from(hash ?? '', 'base64');
  const key = await derive(password, Buffer.from(salt ?? '', 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
