/**
 * Where a site's federation public key is replicated: a `signing_keys` record `federation:<site>` (owner = the
 * site) with an Ed25519 JWK. Its `retired_at: 0` means identity never accepts a token signed with it (this key
 * signs site-to-site messages only).
 */
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { SigningKey } from '../../shared/schemas/catalog/index.ts';
import { publicKeyBytes, publicKeyText } from './site-key.ts';

/** Id of a site's federation key record. */
export const federationKeyId = (site: string): string => `federation:${site}`;

/** The record publishing `publicKey` as `site`'s federation key. */
export function federationKeyRecord(site: string, publicKey: Uint8Array, now: number): SigningKey {
  return {
    id: federationKeyId(site),
    site_id: site,
    alg: 'EdDSA',
    jwk: { kty: 'OKP', crv: 'Ed25519', x: publicKeyText(publicKey), use: 'federation' },
    created_at: now,
    retired_at: 0,
  };
}

/** Writes this site's key record unless the catalog already holds that key. */
export async function publishSiteKey(
  catalog: CatalogStore,
  site: string,
  publicKey: Uint8Array,
  now: number,
): Promise<void> {
  const current = catalog.get('signing_keys', federationKeyId(site));
  if (current && current.jwk.x === publicKeyText(publicKey)) return;
  await catalog.put('signing_keys', federationKeyRecord(site, publicKey, now));
}

/** Looks up replicated federation keys in the catalog (decoded keys cached by their text). */
export function catalogKeyLookup(catalog: Pick<CatalogStore, 'get'>): (site: string) => Uint8Array | undefined {
  const cache = new Map<string, Uint8Array>();
  return (site) => {
    const x = catalog.get('signing_keys', federationKeyId(site))?.jwk.x;
    if (typeof x !== 'string') return undefined;
    let bytes = cache.get(x);
    if (!bytes) {
      bytes = publicKeyBytes(x);
      if (bytes.length !== 32) return undefined;
      cache.set(x, bytes);
    }
    return bytes;
  };
}
