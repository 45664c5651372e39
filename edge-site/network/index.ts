// PLACEHOLDER — replaced by the network module (Neutron v2.0).
import { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';
import type { IdentityService, NetworkService, SiteDeps, SiteModule } from '../services.ts';

/** Builds the network module. */
export async function createNetwork(
  _deps: SiteDeps,
  _services: { identity: IdentityService },
): Promise<SiteModule & NetworkService> {
  return {
    app: new Hono<AppEnv>(),
    allocateForServer: async () => [],
    portsOfServer: async () => [],
    releaseForServer: async () => {},
  };
}
