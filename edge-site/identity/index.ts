// PLACEHOLDER — replaced by the identity module (Keystone v3).
import { Hono } from 'hono';
import { unauthorized } from '../../shared/errors.ts';
import type { AppEnv } from '../api/env.ts';
import type { IdentityService, SiteDeps, SiteModule } from '../services.ts';

/** Builds the identity module. */
export async function createIdentity(_deps: SiteDeps): Promise<SiteModule & IdentityService> {
  return {
    app: new Hono<AppEnv>(),
    tokens: {
      validate: async () => {
        throw unauthorized('identity.not_implemented', 'identity is not built yet');
      },
    },
    bootstrap: async () => {},
  };
}
