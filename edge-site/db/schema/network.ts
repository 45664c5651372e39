import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Neutron's site-local objects. Lists (pools, routes, tags, …) are JSON columns: they are always read and written
 * with their owner and never queried on their own. Ids are UUIDv7, so ordering by id is creation order.
 */

/** Columns every Neutron "standard attribute" resource has. */
const standard = {
  id: text('id').primaryKey(),
  projectId: text('project_id').notNull(),
  name: text('name').notNull().default(''),
  description: text('description').notNull().default(''),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default([]),
  revision: integer('revision').notNull().default(0),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
};

/** L2 networks. */
export const networks = sqliteTable('net_networks', {
  ...standard,
  adminStateUp: integer('admin_state_up', { mode: 'boolean' }).notNull(),
  shared: integer('shared', { mode: 'boolean' }).notNull(),
  external: integer('external', { mode: 'boolean' }).notNull(),
  mtu: integer('mtu').notNull(),
  portSecurityEnabled: integer('port_security_enabled', { mode: 'boolean' }).notNull(),
  azHints: text('az_hints', { mode: 'json' }).$type<string[]>().notNull(),
  networkType: text('network_type').notNull(),
  physicalNetwork: text('physical_network'),
  segmentationId: integer('segmentation_id'),
});

/** IP subnets of a network, with their allocation pools. */
export const subnets = sqliteTable(
  'net_subnets',
  {
    ...standard,
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id, { onDelete: 'cascade' }),
    ipVersion: integer('ip_version').notNull(),
    cidr: text('cidr').notNull(),
    gatewayIp: text('gateway_ip'),
    allocationPools: text('allocation_pools', { mode: 'json' })
      .$type<Array<{ start: string; end: string }>>()
      .notNull(),
    enableDhcp: integer('enable_dhcp', { mode: 'boolean' }).notNull(),
    dnsNameservers: text('dns_nameservers', { mode: 'json' }).$type<string[]>().notNull(),
    hostRoutes: text('host_routes', { mode: 'json' })
      .$type<Array<{ destination: string; nexthop: string }>>()
      .notNull(),
    ipv6RaMode: text('ipv6_ra_mode'),
    ipv6AddressMode: text('ipv6_address_mode'),
  },
  (t) => [index('net_subnets_network').on(t.networkId)],
);

/** Ports: a MAC address and fixed IPs on a network, bound to a device. */
export const ports = sqliteTable(
  'net_ports',
  {
    ...standard,
    networkId: text('network_id')
      .notNull()
      .references(() => networks.id),
    macAddress: text('mac_address').notNull(),
    adminStateUp: integer('admin_state_up', { mode: 'boolean' }).notNull(),
    status: text('status').notNull(),
    deviceId: text('device_id').notNull(),
    deviceOwner: text('device_owner').notNull(),
    hostId: text('host_id').notNull(),
    vnicType: text('vnic_type').notNull(),
    profile: text('profile', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    portSecurityEnabled: integer('port_security_enabled', { mode: 'boolean' }).notNull(),
    securityGroups: text('security_groups', { mode: 'json' }).$type<string[]>().notNull(),
    allowedAddressPairs: text('allowed_address_pairs', { mode: 'json' })
      .$type<Array<{ ip_address: string; mac_address: string }>>()
      .notNull(),
    dnsName: text('dns_name').notNull(),
    /** Neutron's extra_dhcp_opts (stored and shown; no DHCP server reads them yet). */
    extraDhcpOpts: text('extra_dhcp_opts', { mode: 'json' })
      .$type<Array<{ opt_name: string; opt_value: string; ip_version: number }>>()
      .notNull()
      .default([]),
    /** True when compute created the port for a server (deleted with it; Nova's preserve_on_delete=false). */
    createdByCompute: integer('created_by_compute', { mode: 'boolean' }).notNull(),
  },
  (t) => [
    index('net_ports_network').on(t.networkId),
    index('net_ports_device').on(t.deviceId),
    uniqueIndex('net_ports_mac').on(t.networkId, t.macAddress),
  ],
);

/** One row per allocated address: the primary key makes a double allocation impossible. */
export const ipAllocations = sqliteTable(
  'net_ip_allocations',
  {
    subnetId: text('subnet_id')
      .notNull()
      .references(() => subnets.id),
    ipAddress: text('ip_address').notNull(),
    portId: text('port_id')
      .notNull()
      .references(() => ports.id, { onDelete: 'cascade' }),
    networkId: text('network_id').notNull(),
    /** Order of the address on its port (fixed_ips order). */
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.subnetId, t.ipAddress] }), index('net_ip_allocations_port').on(t.portId)],
);

/** Security groups (no data plane yet: rules are API objects). */
export const securityGroups = sqliteTable(
  'net_security_groups',
  {
    ...standard,
    isDefault: integer('is_default', { mode: 'boolean' }).notNull(),
    stateful: integer('stateful', { mode: 'boolean' }).notNull(),
  },
  (t) => [index('net_security_groups_project').on(t.projectId)],
);

/** Rules of a security group. */
export const securityGroupRules = sqliteTable(
  'net_security_group_rules',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    securityGroupId: text('security_group_id')
      .notNull()
      .references(() => securityGroups.id, { onDelete: 'cascade' }),
    direction: text('direction').notNull(),
    ethertype: text('ethertype').notNull(),
    protocol: text('protocol'),
    portRangeMin: integer('port_range_min'),
    portRangeMax: integer('port_range_max'),
    remoteIpPrefix: text('remote_ip_prefix'),
    remoteGroupId: text('remote_group_id'),
    description: text('description').notNull().default(''),
    revision: integer('revision').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('net_security_group_rules_group').on(t.securityGroupId)],
);

/** Routers (API objects only). */
export const routers = sqliteTable('net_routers', {
  ...standard,
  adminStateUp: integer('admin_state_up', { mode: 'boolean' }).notNull(),
  /** The gateway's network and whether SNAT is on; its addresses are those of the gateway port. */
  gatewayNetworkId: text('gateway_network_id'),
  enableSnat: integer('enable_snat', { mode: 'boolean' }).notNull(),
  routes: text('routes', { mode: 'json' }).$type<Array<{ destination: string; nexthop: string }>>().notNull(),
});

/** Floating IPs: an address on an external network, optionally mapped to a port's fixed IP. */
export const floatingIps = sqliteTable('net_floating_ips', {
  id: text('id').primaryKey(),
  projectId: text('project_id').notNull(),
  description: text('description').notNull().default(''),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default([]),
  revision: integer('revision').notNull().default(0),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  floatingNetworkId: text('floating_network_id').notNull(),
  floatingIpAddress: text('floating_ip_address').notNull(),
  /** The network:floatingip port holding the address. */
  floatingPortId: text('floating_port_id').notNull(),
  portId: text('port_id'),
  fixedIpAddress: text('fixed_ip_address'),
  routerId: text('router_id'),
});

/** Per-project quota overrides (`PUT /v2.0/quotas/{project}`); a missing row means the default limit. */
export const quotas = sqliteTable(
  'net_quotas',
  {
    projectId: text('project_id').notNull(),
    resource: text('resource').notNull(),
    limit: integer('limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);
