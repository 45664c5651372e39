/** The identity module: Keystone v3 for one site (tokens are JWTs signed with the site's own key). */

import { toHex } from '../../shared/ports/ids.ts';
import { identityRoutes } from '../api/identity/index.ts';
import type { IdentityService, SiteDeps, SiteModule } from '../services.ts';
import { IdentityAdmin } from './admin.ts';
import { bootstrap } from './bootstrap.ts';
import { Directory } from './directory.ts';
import { loadSigningKey, PublicKeys } from './keys.ts';
import { Tokens } from './tokens.ts';

export { issueTokenForTest } from './testing.ts';

/** What the identity routes work with. */
export interface IdentityCore {
  deps: SiteDeps;
  dir: Directory;
  admin: IdentityAdmin;
  tokens: Tokens;
}

/** Builds the identity module. */
export async function createIdentity(deps: SiteDeps): Promise<SiteModule & IdentityService> {
  const dir = new Directory(deps.catalog);
  const admin = new IdentityAdmin(deps, dir);
  const key = await loadSigningKey(deps);
  const tokens = new Tokens(deps, dir, key, new PublicKeys(deps));
  const core: IdentityCore = { deps, dir, admin, tokens };
  return {
    app: identityRoutes(core),
    tokens,
    bootstrap: (input) => bootstrap(admin, deps.config.region, input),
    async issueDelegatedToken({ userId, projectId, ttlMs }) {
      const now = deps.clock.now();
      const data = {
        userId,
        methods: ['token'],
        auditIds: [toHex(deps.ids.bytes(16))],
        scope: { type: 'project' as const, id: projectId },
        issuedAt: now,
        expiresAt: now + Math.min(ttlMs, deps.config.tokens.ttlSeconds * 1000),
      };
      // Same checks as a login: enabled user and project, a role on it, not revoked.
      tokens.context('', data);
      return tokens.sign(data);
    },
  };
}
