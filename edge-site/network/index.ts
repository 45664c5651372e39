/**
 * The network module: Neutron v2.0 for one site (networks, subnets with IPAM, ports, security groups, routers,
 * floating IPs, quotas) and the NetworkService compute uses. All state is site-local SQLite. The data plane runs on
 * the agents (site-agent/network): ports become taps on per-network bridges, and security groups reach them through
 * policy-sync.ts, routers and floating IPs with them (router-policy.ts).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';
import { requireAuth } from '../api/middleware/auth.ts';
import { serviceTag } from '../api/middleware/service.ts';
import { extensionRoutes, versionRoutes } from '../api/network/discovery.ts';
import { floatingIpRoutes } from '../api/network/floating-ips.ts';
import { networkRoutes } from '../api/network/networks.ts';
import { portRoutes } from '../api/network/ports.ts';
import { quotaRoutes } from '../api/network/quotas.ts';
import { routerRoutes } from '../api/network/routers.ts';
import { securityGroupRoutes, securityGroupRuleRoutes } from '../api/network/security-groups.ts';
import { subnetRoutes } from '../api/network/subnets.ts';
import { tagRoutes } from '../api/network/tags.ts';
import type { IdentityService, NetworkService, SiteDeps, SiteModule } from '../services.ts';
import { createNetCtx } from './context.ts';
import { createPolicySync, type PolicyFleet } from './policy-sync.ts';
import { networkService } from './server-ports.ts';

/** Builds the network module. */
export async function createNetwork(
  deps: SiteDeps,
  services: { identity: IdentityService; fleet?: PolicyFleet },
): Promise<SiteModule & NetworkService> {
  const ctx = createNetCtx(deps);
  // Security groups reach the agents (their data planes enforce them) after every change that can matter.
  const policies = createPolicySync(ctx, services.fleet);
  const app = new Hono<AppEnv>();
  app.use(serviceTag('network'));
  app.route('/', versionRoutes());
  const v2 = new Hono<AppEnv>();
  v2.use(requireAuth(services.identity.tokens));
  // Every write runs alone: IP/MAC allocation and default groups read-then-insert.
  v2.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : ctx.lock.run(next)));
  v2.use(async (c, next) => {
    await next();
    const write = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    if (
      write &&
      c.res.status < 400 &&
      /\/(ports|security-groups|security-group-rules|routers|floatingips)(\/|$)/.test(c.req.path)
    ) {
      policies.schedule();
    }
  });
  v2.route('/networks', networkRoutes(ctx));
  v2.route('/subnets', subnetRoutes(ctx));
  v2.route('/ports', portRoutes(ctx));
  v2.route('/security-groups', securityGroupRoutes(ctx));
  v2.route('/security-group-rules', securityGroupRuleRoutes(ctx));
  v2.route('/routers', routerRoutes(ctx));
  v2.route('/floatingips', floatingIpRoutes(ctx));
  v2.route('/quotas', quotaRoutes(ctx));
  v2.route('/', tagRoutes(ctx));
  v2.route('/', extensionRoutes());
  app.route('/v2.0', v2);
  const service = networkService(ctx);
  return {
    app,
    ...service,
    async allocateForServer(...args) {
      const bound = await service.allocateForServer(...args);
      policies.schedule();
      return bound;
    },
    async releasePort(serverId, portId) {
      const released = await service.releasePort?.(serverId, portId);
      policies.schedule();
      return released === true;
    },
    async releaseForServer(serverId) {
      await service.releaseForServer(serverId);
      policies.schedule();
    },
    async stop() {
      policies.stop();
      await policies.settled();
    },
  };
}
