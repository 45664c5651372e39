/** Compute's HTTP face: version documents (no auth), then every Nova v2.1 resource behind auth + microversions. */
import { Hono } from 'hono';
import type { ComputeContext } from '../../compute/context.ts';
import { microversion } from '../../compute/microversion.ts';
import type { AppEnv } from '../env.ts';
import { requireAuth } from '../middleware/auth.ts';
import { serviceTag } from '../middleware/service.ts';
import { externalEventRoutes, migrationRoutes } from './admin-misc.ts';
import { aggregateRoutes } from './aggregates.ts';
import { availabilityZoneRoutes } from './availability-zones.ts';
import { extensionRoutes } from './extensions.ts';
import { flavorRoutes } from './flavors.ts';
import { hostRoutes } from './hosts.ts';
import { hypervisorRoutes } from './hypervisors.ts';
import { interfaceRoutes } from './interfaces.ts';
import { keypairRoutes } from './keypairs.ts';
import { serviceRoutes } from './os-services.ts';
import { limitRoutes, quotaClassRoutes, quotaSetRoutes } from './quotas.ts';
import { securityGroupRoutes, securityGroupRuleRoutes, serverSecurityGroupRoutes } from './security-groups.ts';
import { serverActionRoutes } from './server-actions.ts';
import { serverExtraRoutes } from './server-extras.ts';
import { serverGroupRoutes } from './server-groups.ts';
import { serverMetadataRoutes } from './server-metadata.ts';
import { serverRoutes } from './servers.ts';
import { tenantNetworkRoutes } from './tenant-networks.ts';
import { tenantUsageRoutes } from './tenant-usage.ts';
import { usageAuditLogRoutes } from './usage-audit-log.ts';
import { versionRoutes } from './versions.ts';
import { volumeAttachmentRoutes } from './volume-attachments.ts';

/** Builds the compute app (mounted at `/compute`). */
export function computeApp(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('compute'));
  app.use(microversion());
  app.route('/', versionRoutes());

  const v21 = new Hono<AppEnv>();
  const auth = requireAuth(ctx.services.identity.tokens);
  // Auth per resource (not on all of /v2.1/*) so unknown routes are 404s rather than 401s.
  for (const prefix of [
    '/flavors',
    '/os-keypairs',
    '/servers',
    '/os-hypervisors',
    '/os-services',
    '/os-availability-zone',
    '/limits',
    '/os-quota-sets',
    '/os-server-groups',
    '/os-simple-tenant-usage',
    '/extensions',
    '/os-security-groups',
    '/os-security-group-rules',
    '/os-tenant-networks',
    '/os-hosts',
    '/os-aggregates',
    '/os-instance_usage_audit_log',
    '/os-quota-class-sets',
    '/os-networks',
    '/os-migrations',
    '/os-server-external-events',
  ]) {
    v21.use(`${prefix}/*`, auth);
  }
  v21.route('/flavors', flavorRoutes(ctx.deps));
  v21.route('/os-keypairs', keypairRoutes(ctx.deps, ctx.quotas));
  v21.route('/servers', serverRoutes(ctx));
  v21.route('/servers', serverActionRoutes(ctx));
  v21.route('/servers', serverMetadataRoutes(ctx));
  v21.route('/servers', serverExtraRoutes(ctx));
  v21.route('/servers', volumeAttachmentRoutes(ctx));
  v21.route('/servers', interfaceRoutes(ctx));
  if (ctx.services.volume?.novaProxyApp) v21.route('/', ctx.services.volume.novaProxyApp);
  v21.route('/os-hypervisors', hypervisorRoutes(ctx));
  v21.route('/os-services', serviceRoutes(ctx));
  v21.route('/os-availability-zone', availabilityZoneRoutes(ctx));
  v21.route('/limits', limitRoutes(ctx));
  v21.route('/os-quota-sets', quotaSetRoutes(ctx));
  v21.route('/os-server-groups', serverGroupRoutes(ctx));
  v21.route('/os-simple-tenant-usage', tenantUsageRoutes(ctx));
  v21.route('/extensions', extensionRoutes());
  v21.route('/os-security-groups', securityGroupRoutes());
  v21.route('/os-security-group-rules', securityGroupRuleRoutes());
  v21.route('/servers', serverSecurityGroupRoutes(ctx));
  v21.route('/os-tenant-networks', tenantNetworkRoutes());
  v21.route('/os-hosts', hostRoutes(ctx));
  v21.route('/os-aggregates', aggregateRoutes(ctx));
  v21.route('/os-instance_usage_audit_log', usageAuditLogRoutes(ctx));
  v21.route('/os-quota-class-sets', quotaClassRoutes(ctx));
  v21.route('/os-networks', tenantNetworkRoutes());
  v21.route('/os-migrations', migrationRoutes());
  v21.route('/os-server-external-events', externalEventRoutes(ctx));
  app.route('/v2.1', v21);
  return app;
}
