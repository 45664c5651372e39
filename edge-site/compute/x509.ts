/**
 * A self-signed X.509 certificate for generated `x509` keypairs (what Nova returns: the certificate as the public
 * key, the RSA private key once). Node has no certificate builder, so the few DER structures are encoded here.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const v of rest) {
    const groups: number[] = [];
    for (let x = v; ; x = Math.floor(x / 128)) {
      groups.unshift((x % 128) | (groups.length > 0 ? 0x80 : 0));
      if (x < 128) break;
    }
    out.push(...groups);
  }
  return der(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return der(0x02, v);
}

/** UTCTime (YYMMDDHHMMSSZ); certificates here never outlive 2049. */
function utcTime(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const s = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return der(0x17, Buffer.from(s, 'ascii'));
}

const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** A new RSA-2048 key and a self-signed certificate for `commonName`, valid 10 years from `now` (ms). */
export function generateX509(commonName: string, now: number): { certificate: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))));
  const serial = createHash('sha1').update(spki).digest().subarray(0, 16);
  if (serial[0] !== undefined) serial[0] &= 0x7f;
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_RSA,
    name,
    seq(utcTime(now), utcTime(now + 10 * 365 * 24 * 3600 * 1000)),
    name,
    spki,
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, SHA256_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 =
    cert
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return {
    certificate: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
  };
}
