import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

/** A new Ed25519 libp2p private key, as the protobuf bytes `createLibp2pTransport({ privateKey })` takes. */
export async function generatePeerKey(): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'));
}

/** Decodes persisted key bytes (protobuf, as written by {@link loadOrCreatePeerKey}). */
export const peerKeyFromBytes = (bytes: Uint8Array): PrivateKey => privateKeyFromProtobuf(bytes);

/**
 * Reads the site's libp2p private key from `path`, creating it (mode 0600) on first use, so a restarted site keeps
 * its peer id. Returns the protobuf bytes.
 */
export async function loadOrCreatePeerKey(path: string): Promise<Uint8Array> {
  if (existsSync(path)) {
    const bytes = new Uint8Array(readFileSync(path));
    peerKeyFromBytes(bytes); // refuse a corrupt file rather than silently changing identity
    return bytes;
  }
  const bytes = await generatePeerKey();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes, { mode: 0o600 });
  chmodSync(path, 0o600);
  return bytes;
}
