/**
 * Keypairs over the replicated catalog (`keypairs`, id `${user_id}:${name}`): import a public key or generate one.
 * Only public keys are stored; a generated private key is returned once.
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { BrumeError, badRequest, conflict, notFound } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Keypair } from '../../shared/schemas/catalog/index.ts';
import { generateX509 } from './x509.ts';

const SSH_TYPES = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

const invalid = () => badRequest('compute.invalid_keypair', 'Keypair data is invalid: failed to generate fingerprint');

/** Nova's fingerprint of an OpenSSH public key: MD5 of the key blob, colon-separated hex. */
export function sshFingerprint(publicKey: string): string {
  const parts = publicKey.trim().split(/\s+/);
  const [type, b64] = parts;
  if (!type || !b64 || !SSH_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw invalid();
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with its own type name; a mismatch means a corrupted or hand-edited key.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len <= 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString() !== type) throw invalid();
  const hex = createHash('md5').update(blob).digest('hex');
  return hex.match(/../g)?.join(':') ?? hex;
}

/** Nova's fingerprint of an x509 certificate: SHA-1 of the DER, colon-separated hex. */
export function x509Fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch {
    throw invalid();
  }
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function mpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, 'base64url');
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

/**
 * A new RSA-2048 key pair: OpenSSH public key and PKCS#1 PEM private key (what `ssh -i` reads, like Nova's).
 * Key material comes from the platform CSPRNG on purpose: it is a secret, not an id to replay in simulation.
 */
export function generateSshKey(comment: string): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.n || !jwk.e) throw new Error('RSA key without modulus');
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`,
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
  };
}

const NAME_RE = /^[a-zA-Z0-9 _\-.@]+$/;

/** The caller's keypair `name`, or 404. */
export function getKeypair(catalog: CatalogStore, userId: string, name: string): Keypair {
  const k = catalog.get('keypairs', `${userId}:${name}`);
  if (!k) throw notFound('compute.keypair_not_found', `Keypair ${name} not found for user ${userId}`);
  return k;
}

/** Keypairs of a user, by name. */
export function listKeypairs(catalog: CatalogStore, userId: string): Keypair[] {
  return catalog
    .list('keypairs')
    .filter((k) => k.user_id === userId)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Imports (`publicKey` given) or generates a keypair; returns the record and, when generated, the private key. */
export async function createKeypair(
  deps: { catalog: CatalogStore; clock: Clock },
  input: { userId: string; name: string; type: 'ssh' | 'x509'; publicKey?: string; quota: number },
): Promise<{ keypair: Keypair; privateKey?: string }> {
  const name = input.name;
  if (name.trim() === '' || name.length > 255 || !NAME_RE.test(name)) {
    throw badRequest('compute.invalid_keypair', 'Keypair data is invalid: Keypair name contains unsafe characters');
  }
  const existing = listKeypairs(deps.catalog, input.userId);
  if (existing.some((k) => k.name === name)) {
    throw conflict('compute.keypair_exists', `Key pair '${name}' already exists.`);
  }
  if (input.quota >= 0 && existing.length >= input.quota) {
    throw new BrumeError('over_quota', 'compute.quota_exceeded', 'Quota exceeded, too many key pairs.');
  }
  let publicKey = input.publicKey;
  let privateKey: string | undefined;
  if (publicKey === undefined) {
    const generated =
      input.type === 'x509'
        ? (({ certificate, privateKey: key }) => ({ publicKey: certificate, privateKey: key }))(
            generateX509(input.userId, deps.clock.now()),
          )
        : generateSshKey(`Generated-by-Brume`);
    publicKey = generated.publicKey;
    privateKey = generated.privateKey;
  }
  publicKey = publicKey.trim();
  const fingerprint = input.type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
  const keypair: Keypair = {
    id: `${input.userId}:${name}`,
    name,
    user_id: input.userId,
    public_key: publicKey,
    fingerprint,
    type: input.type,
    created_at: deps.clock.now(),
  };
  await deps.catalog.put('keypairs', keypair);
  return privateKey === undefined ? { keypair } : { keypair, privateKey };
}
