import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import type { FederationApiDeps } from './deps.ts';

/**
 * `GET /keys`: the federation's token-verification keys as a JWKS (RFC 7517), read from the replicated
 * `signing_keys` collection — every site's public key, retired ones left out. Public (no token): verifiers such as
 * the global API need the keys before they can check any token, and public keys are not secrets.
 */
export function keyRoutes(d: Pick<FederationApiDeps, 'store' | 'clock'>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const now = d.clock.now();
    const keys = d.store
      .list('signing_keys')
      .filter((k) => k.retired_at === undefined || k.retired_at > now)
      .map((k) => ({ ...k.jwk, kid: k.id, alg: k.alg, use: 'sig', 'brume:site': k.site_id }));
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ keys });
  });
  return app;
}
