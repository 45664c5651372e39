/**
 * A site's federation key: the Ed25519 key pair that signs every message the site sends to its peers
 * (`authenticated-transport.ts`). It is the same key as the site's libp2p identity: the file is libp2p's private
 * key protobuf (`<dataDir>/federation/peer.key`, as `loadOrCreatePeerKey` writes it), so a libp2p peer id is bound
 * to the site key by construction. Parsed here with node:crypto only (no libp2p import for MQTT or memory sites).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A site's signing key pair. */
export interface SiteKey {
  /** Raw Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** libp2p private key protobuf (what `createLibp2pTransport({ privateKey })` takes). */
  readonly protobuf: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64u = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

/** libp2p's PrivateKey protobuf for Ed25519: field 1 (KeyType) = 1, field 2 (Data) = 64 bytes seed ‖ public. */
const PROTO_HEAD = [0x08, 0x01, 0x12, 0x40];

function fromSeed(seed: Uint8Array, pub: Uint8Array): SiteKey {
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(seed), x: b64u(pub) }, format: 'jwk' });
  const protobuf = new Uint8Array(68);
  protobuf.set(PROTO_HEAD, 0);
  protobuf.set(seed, 4);
  protobuf.set(pub, 36);
  return {
    publicKey: pub,
    protobuf,
    sign: (data) => new Uint8Array(cryptoSign(null, data, key)),
  };
}

/** Decodes libp2p protobuf key bytes; throws for anything but an Ed25519 key. */
export function siteKeyFromProtobuf(bytes: Uint8Array): SiteKey {
  if (bytes.length !== 68 || PROTO_HEAD.some((b, i) => bytes[i] !== b)) {
    throw new Error('not an Ed25519 libp2p private key');
  }
  return fromSeed(bytes.slice(4, 36), bytes.slice(36, 68));
}

/** A fresh key (tests, sites without a data directory). */
export function generateSiteKey(): SiteKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (!jwk.d || !jwk.x) throw new Error('ed25519 export failed');
  return fromSeed(fromB64u(jwk.d), fromB64u(jwk.x));
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A key derived from `name` alone — for tests and in-memory sites only (anyone can derive it): a site restarted in
 * a test with a fresh in-memory database keeps the key its peers already replicated.
 */
export function derivedTestSiteKey(name: string): SiteKey {
  const seed = createHash('sha256').update(`brume-test-site-key/v1\0${name}`).digest();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x) throw new Error('ed25519 export failed');
  return fromSeed(new Uint8Array(seed), fromB64u(jwk.x));
}

/** Reads the key at `path` (libp2p protobuf), creating it (mode 0600) on first use. */
export function loadOrCreateSiteKey(path: string): SiteKey {
  if (existsSync(path)) return siteKeyFromProtobuf(new Uint8Array(readFileSync(path)));
  const key = generateSiteKey();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, key.protobuf, { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}

const verifiers = new Map<string, KeyObject>();

/** Verifies an Ed25519 signature by a raw public key (imported keys are cached). */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const x = b64u(publicKey);
  let key = verifiers.get(x);
  if (!key) {
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    } catch {
      return false;
    }
    if (verifiers.size > 4096) verifiers.clear();
    verifiers.set(x, key);
  }
  try {
    return cryptoVerify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** Base64url of a raw public key (how it is stored in the catalog's `signing_keys` JWK `x`). */
export const publicKeyText = (publicKey: Uint8Array): string => b64u(publicKey);
/** The raw bytes of a base64url public key. */
export const publicKeyBytes = (text: string): Uint8Array => fromB64u(text);
