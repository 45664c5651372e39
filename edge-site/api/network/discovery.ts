/** Neutron's version document (`GET /`), resource list (`GET /v2.0/`), extensions and availability zones. */
import { Hono } from 'hono';
import { notFoundOf } from '../../network/errors.ts';
import { listResponse } from '../../network/query.ts';
import type { AppEnv } from '../env.ts';

/** Base URL of the network endpoint as the client reached it. */
function rootOf(url: string): string {
  const u = new URL(url);
  const at = u.pathname.indexOf('/network');
  return `${u.origin}${at >= 0 ? u.pathname.slice(0, at + '/network'.length) : ''}`;
}

const COLLECTIONS: Array<[string, string]> = [
  ['network', 'networks'],
  ['subnet', 'subnets'],
  ['port', 'ports'],
  ['security_group', 'security-groups'],
  ['security_group_rule', 'security-group-rules'],
  ['router', 'routers'],
  ['floatingip', 'floatingips'],
  ['quota', 'quotas'],
  ['extension', 'extensions'],
  ['availability_zone', 'availability_zones'],
];

const UPDATED = '2012-01-01T10:00:00-00:00';
/** The extensions this implementation honours, no more. */
const EXTENSIONS: Array<[string, string, string]> = [
  ['security-group', 'security-group', 'The security groups extension.'],
  ['stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  [
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ],
  [
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
  ],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['availability_zone', 'Availability Zone', 'The availability zone extension.'],
  ['network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'],
  ['sorting', 'Sorting support', 'Enabled sorting support'],
  ['pagination', 'Pagination support', 'Enabled pagination support'],
  [
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ],
  ['extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'],
  [
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ],
  [
    'extra_dhcp_opt',
    'Neutron Extra DHCP options',
    'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
  ],
  ['fip-port-details', 'Floating IP Port Details Extension', 'Add port_details attribute to Floating IP resource'],
  [
    'standard-attr-tag',
    'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip',
    'Enables to set tag on resources with standard attribute.',
  ],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  [
    'ip-substring-filtering',
    'IP address substring filtering',
    'Provides IP address substring filtering when listing ports',
  ],
];

function extension([alias, name, description]: [string, string, string]) {
  return { alias, name, description, updated: UPDATED, links: [] };
}

/** Unauthenticated discovery documents. */
export function versionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const versions = (url: string) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${rootOf(url)}/v2.0/`, rel: 'self' }] }],
  });
  // `/network/`: a sub-app cannot name its prefix with a trailing slash, an empty optional segment can.
  app.get('/', (c) => c.json(versions(c.req.url)));
  app.get('/:slash{/?}', (c) => c.json(versions(c.req.url)));
  const resources = (url: string) => ({
    resources: COLLECTIONS.map(([name, collection]) => ({
      name,
      collection,
      links: [{ href: `${rootOf(url)}/v2.0/${collection}`, rel: 'self' }],
    })),
  });
  app.get('/v2.0', (c) => c.json(resources(c.req.url)));
  app.get('/v2.0/', (c) => c.json(resources(c.req.url)));
  return app;
}

/** `/v2.0/extensions` and `/v2.0/availability_zones` (authenticated). */
export function extensionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/extensions', (c) => c.json({ extensions: EXTENSIONS.map(extension) }));
  app.get('/extensions/:alias', (c) => {
    const ext = EXTENSIONS.find(([alias]) => alias === c.req.param('alias'));
    if (!ext) throw notFoundOf('ExtensionNotFound', `Extension with alias ${c.req.param('alias')} does not exist`);
    return c.json({ extension: extension(ext) });
  });
  // No service providers and no Neutron agents: the data plane is the site's own; both lists are honestly empty.
  app.get('/service-providers', (c) => c.json(listResponse([], new URL(c.req.url), 'service_providers')));
  app.get('/agents', (c) => c.json(listResponse([], new URL(c.req.url), 'agents')));
  app.get('/availability_zones', (c) =>
    c.json(
      listResponse(
        [{ name: 'nova', resource: 'network', state: 'available' }],
        new URL(c.req.url),
        'availability_zones',
      ),
    ),
  );
  return app;
}
