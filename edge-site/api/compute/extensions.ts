/**
 * `/v2.1/extensions[/{alias}]`: the legacy extension list (frozen in Nova since 2.1; clients and Tempest still read
 * it). Brume lists the extensions whose APIs it serves, with Nova's names and aliases.
 */
import { Hono } from 'hono';
import { notFound } from '../../../shared/errors.ts';
import type { AppEnv } from '../env.ts';

const EXTENSIONS: ReadonlyArray<[alias: string, name: string, description: string]> = [
  ['os-access-ips', 'AccessIPs', 'Access IPs support.'],
  ['os-availability-zone', 'AvailabilityZone', '1. Add availability_zone to the Create Server API.'],
  ['os-consoles', 'Consoles', 'Interactive Console support.'],
  ['os-console-output', 'ConsoleOutput', 'Console log output support, with tailing ability.'],
  ['OS-DCF', 'DiskConfig', 'Disk Management Extension.'],
  ['OS-EXT-AZ', 'ExtendedAvailabilityZone', 'Extended Availability Zone support.'],
  ['OS-EXT-IPS', 'ExtendedIps', 'Adds type parameter to the ip list.'],
  ['OS-EXT-IPS-MAC', 'ExtendedIpsMac', 'Adds mac address parameter to the ip list.'],
  ['OS-EXT-SRV-ATTR', 'ExtendedServerAttributes', 'Extended Server Attributes support.'],
  ['OS-EXT-STS', 'ExtendedStatus', 'Extended Status support.'],
  ['os-extended-volumes', 'ExtendedVolumes', 'Extended Volumes support.'],
  ['OS-FLV-DISABLED', 'FlavorDisabled', 'Support to show the disabled status of a flavor.'],
  ['OS-FLV-EXT-DATA', 'FlavorExtraData', 'Provide additional data for flavors.'],
  ['os-flavor-access', 'FlavorAccess', 'Flavor access support.'],
  ['os-flavor-extra-specs', 'FlavorExtraSpecs', 'Flavors extra specs support.'],
  ['os-flavor-manage', 'FlavorManage', 'Flavor create/delete API support.'],
  ['os-flavor-rxtx', 'FlavorRxtx', 'Support to show the rxtx status of a flavor.'],
  ['os-hosts', 'Hosts', 'Admin-only host administration.'],
  ['os-hypervisors', 'Hypervisors', 'Admin-only hypervisor administration.'],
  ['os-instance-actions', 'InstanceActions', 'View a log of actions and events taken on an instance.'],
  ['os-keypairs', 'Keypairs', 'Keypair Support.'],
  ['os-lock-server', 'LockServer', 'Enable lock/unlock server actions.'],
  ['os-pause-server', 'PauseServer', 'Enable pause/unpause server actions.'],
  ['os-quota-sets', 'Quotas', 'Quotas management support.'],
  ['os-server-groups', 'ServerGroups', 'Server group support.'],
  ['os-server-password', 'ServerPassword', 'Server password support.'],
  ['OS-SRV-USG', 'ServerUsage', 'Adds launched_at and terminated_at on Servers.'],
  ['os-services', 'Services', 'Services support.'],
  ['os-simple-tenant-usage', 'SimpleTenantUsage', 'Simple tenant usage extension.'],
  ['os-suspend-server', 'SuspendServer', 'Enable suspend/resume server actions.'],
  ['os-server-start-stop', 'ServerStartStop', 'Start/Stop instance compute API support.'],
];

const view = ([alias, name, description]: readonly [string, string, string]) => ({
  alias,
  name,
  description,
  namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  updated: '2014-12-03T00:00:00Z',
  links: [],
});

/** The extensions sub-app. */
export function extensionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.json({ extensions: EXTENSIONS.map(view) }));
  app.get('/:alias', (c) => {
    const ext = EXTENSIONS.find((e) => e[0] === c.req.param('alias'));
    if (!ext) throw notFound('compute.extension_not_found', 'Not Found');
    return c.json({ extension: view(ext) });
  });
  return app;
}
