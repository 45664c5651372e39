import { eq } from 'drizzle-orm';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { toHex } from '../../shared/ports/ids.ts';
import { siteState } from '../db/schema/catalog.ts';
import type { SiteDeps } from '../services.ts';

/** A key as jose imports it. */
export type JoseKey = Awaited<ReturnType<typeof importJWK>>;

/** This site's token-signing key. */
export interface SigningKeyPair {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: JoseKey;
}

interface StoredKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
}

const STATE_KEY = 'identity.signing_key';

/**
 * Loads the site's private signing key from its site-local state (SQLite, never replicated), creating one on first
 * start or when the configured algorithm changed, and publishes the public half in the catalog's `signing_keys`
 * so every site can verify this site's tokens offline.
 */
export async function loadSigningKey(deps: SiteDeps): Promise<SigningKeyPair> {
  const { db } = deps.db;
  const alg = deps.config.tokens.alg;
  const rows = await db.select().from(siteState).where(eq(siteState.key, STATE_KEY));
  let stored = rows[0]?.value as StoredKey | undefined;
  if (!stored || stored.alg !== alg) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${deps.config.site}-${toHex(deps.ids.bytes(8))}`;
    stored = {
      kid,
      alg,
      privateJwk: await exportJWK(privateKey),
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
      createdAt: deps.clock.now(),
    };
    await db
      .insert(siteState)
      .values({ key: STATE_KEY, value: stored })
      .onConflictDoUpdate({ target: siteState.key, set: { value: stored } });
    deps.log.info({ kid }, 'identity: created token signing key');
  }
  if (!deps.catalog.get('signing_keys', stored.kid)) {
    await deps.catalog.put('signing_keys', {
      id: stored.kid,
      site_id: deps.config.site,
      alg: stored.alg,
      jwk: stored.publicJwk as Record<string, unknown>,
      created_at: stored.createdAt,
    });
  }
  const privateKey = await importJWK(stored.privateJwk, stored.alg);
  return { kid: stored.kid, alg: stored.alg, privateKey };
}

/** Caches imported public keys by kid (importing costs more than verifying). */
export class PublicKeys {
  readonly #cache = new Map<string, Promise<JoseKey>>();
  readonly #deps: Pick<SiteDeps, 'catalog' | 'clock'>;

  constructor(deps: Pick<SiteDeps, 'catalog' | 'clock'>) {
    this.#deps = deps;
  }

  /** The verification key for `kid`, or undefined when unknown or retired. */
  get(kid: string): Promise<JoseKey> | undefined {
    const rec = this.#deps.catalog.get('signing_keys', kid);
    if (!rec) return undefined;
    if (rec.retired_at !== undefined && rec.retired_at <= this.#deps.clock.now()) return undefined;
    let key = this.#cache.get(kid);
    if (!key) {
      key = importJWK(rec.jwk as JWK, rec.alg);
      this.#cache.set(kid, key);
    }
    return key;
  }
}
