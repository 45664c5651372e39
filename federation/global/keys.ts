import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';

/** Why a token was refused at the edge. */
export type TokenVerdict =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'invalid' };

type Key = Awaited<ReturnType<typeof importJWK>>;

/**
 * Verifies tokens at the edge with the federation's replicated public keys (a site's `/federation/v1/keys` JWKS):
 * signature and expiry only — revocation, the user's enabled state and roles are checked again by the site that
 * serves the request. Holds no private key. An unknown `kid` (a new site, a rotated key) re-reads the JWKS, at most
 * once per `minRefreshMs`, so forged kids cannot make it hammer the sites.
 */
export class EdgeKeys {
  readonly #load: () => Promise<unknown>;
  readonly #now: () => number;
  readonly #minRefreshMs: number;
  #keys = new Map<string, Promise<Key>>();
  #algs = new Map<string, string>();
  #loadedAt: number | null = null;
  #loading: Promise<void> | null = null;
  readonly #verified = new Map<string, number>();

  constructor(opts: { load: () => Promise<unknown>; now: () => number; minRefreshMs?: number }) {
    this.#load = opts.load;
    this.#now = opts.now;
    this.#minRefreshMs = opts.minRefreshMs ?? 5_000;
  }

  /** True once a JWKS was read. */
  loaded(): boolean {
    return this.#loadedAt !== null;
  }

  /** Re-reads the JWKS (shared by concurrent callers). */
  async refresh(): Promise<void> {
    if (!this.#loading) {
      this.#loading = (async () => {
        try {
          const body = (await this.#load()) as { keys?: unknown };
          if (!Array.isArray(body?.keys)) return;
          const keys = new Map<string, Promise<Key>>();
          const algs = new Map<string, string>();
          for (const jwk of body.keys as JWK[]) {
            if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string') continue;
            keys.set(jwk.kid, this.#keys.get(jwk.kid) ?? importJWK(jwk, jwk.alg));
            algs.set(jwk.kid, jwk.alg);
          }
          this.#keys = keys;
          this.#algs = algs;
          this.#loadedAt = this.#now();
        } finally {
          this.#loading = null;
        }
      })();
    }
    return this.#loading;
  }

  /** Checks a token's signature and expiry. */
  async verify(token: string): Promise<TokenVerdict> {
    const now = this.#now();
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (cached > now) return { ok: true, expiresAt: cached };
      this.#verified.delete(token);
      return { ok: false, reason: 'invalid' };
    }
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (kid === undefined) return { ok: false, reason: 'malformed' };
    if (!this.#keys.has(kid) && (this.#loadedAt === null || now - this.#loadedAt >= this.#minRefreshMs)) {
      await this.refresh().catch(() => {});
    }
    const key = this.#keys.get(kid);
    const alg = this.#algs.get(kid);
    if (!key || alg === undefined) return { ok: false, reason: 'unknown_key' };
    try {
      const { payload } = await jwtVerify(token, await key, { algorithms: [alg], currentDate: new Date(now) });
      const expiresAt = typeof payload.exp === 'number' ? Math.round(payload.exp * 1000) : now;
      if (this.#verified.size >= 10_000) this.#verified.clear();
      this.#verified.set(token, expiresAt);
      return { ok: true, expiresAt };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
  }
}
