/** OS::Neutron::Net, ::Subnet and ::Port over the site's Neutron API (and the helpers the L3 types share). */
import { isNotFound } from '../cloud.ts';
import { deleteIgnoringNotFound, findId, physicalName, type ResourceContext, type ResourceType } from './types.ts';

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** A network's id from its name or id. */
export const netId = (ctx: ResourceContext, v: unknown) =>
  findId(ctx.cloud, 'network', 'networks', 'network', String(v));
/** A subnet's id from its name or id. */
export const subnetId = (ctx: ResourceContext, v: unknown) =>
  findId(ctx.cloud, 'network', 'subnets', 'subnet', String(v));

/** A Neutron resource whose body is built from properties; attributes read its JSON. */
export function simple(input: {
  description: string;
  collection: string;
  key: string;
  properties: ResourceType['properties'];
  attributes: Record<string, string>;
  body(ctx: ResourceContext, p: Obj): Promise<Obj>;
  updateBody?(ctx: ResourceContext, p: Obj, changed: string[]): Promise<Obj>;
  afterCreate?(ctx: ResourceContext, id: string, p: Obj): Promise<void>;
}): ResourceType {
  const path = (id: string) => `/${input.collection}/${id}`;
  return {
    description: input.description,
    properties: input.properties,
    attributes: { ...input.attributes, show: 'The whole object.' },
    async create(ctx, p) {
      const r = await ctx.cloud.call<Record<string, { id: string }>>('network', 'POST', `/${input.collection}`, {
        [input.key]: await input.body(ctx, p),
      });
      return (r[input.key] as { id: string }).id;
    },
    async checkCreate(ctx, id, p) {
      // Sub-objects (security group rules) are created after the id is recorded, so a failure orphans nothing.
      if (input.afterCreate) await input.afterCreate(ctx, id, p);
    },
    ...(input.updateBody
      ? {
          async update(ctx: ResourceContext, id: string, p: Obj, changed: string[]) {
            const f = input.updateBody;
            if (f) await ctx.cloud.call('network', 'PUT', path(id), { [input.key]: await f(ctx, p, changed) });
          },
        }
      : {}),
    async delete(ctx, id) {
      await deleteIgnoringNotFound(ctx, 'network', path(id));
    },
    async attribute(ctx, id, name) {
      try {
        const r = await ctx.cloud.call<Record<string, Obj>>('network', 'GET', path(id));
        const o = r[input.key] ?? {};
        return name === 'show' ? o : (o[name] ?? null);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  };
}

/** The keys of `p` that are set. */
export const pick = (p: Obj, keys: string[]): Obj =>
  Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));

export const neutronNet = simple({
  description: 'A Neutron network.',
  collection: 'networks',
  key: 'network',
  properties: {
    name: { type: 'string', update_allowed: true },
    admin_state_up: { type: 'boolean', default: true, update_allowed: true },
    shared: { type: 'boolean', update_allowed: true },
    port_security_enabled: { type: 'boolean', update_allowed: true },
    value_specs: { type: 'map', default: {} },
    tenant_id: { type: 'string' },
    dhcp_agent_ids: { type: 'list' },
  },
  attributes: { name: 'Network name.', status: 'Network status.', subnets: 'Subnets of the network.', mtu: 'MTU.' },
  body: async (ctx, p) => ({
    name: p.name ?? physicalName(ctx),
    ...pick(p, ['admin_state_up', 'shared', 'port_security_enabled']),
    ...(p.value_specs as Obj),
  }),
  updateBody: async (_ctx, p, changed) =>
    pick(
      p,
      changed.filter((k) => k !== 'value_specs'),
    ),
});

export const neutronSubnet = simple({
  description: 'A Neutron subnet.',
  collection: 'subnets',
  key: 'subnet',
  properties: {
    network: { type: 'string', required: true },
    network_id: { type: 'string' },
    cidr: { type: 'string' },
    ip_version: { type: 'integer', default: 4 },
    name: { type: 'string', update_allowed: true },
    enable_dhcp: { type: 'boolean', default: true, update_allowed: true },
    gateway_ip: { type: 'string', update_allowed: true },
    dns_nameservers: { type: 'list', update_allowed: true },
    allocation_pools: { type: 'list', update_allowed: true },
    host_routes: { type: 'list', update_allowed: true },
    subnetpool: { type: 'string' },
    value_specs: { type: 'map', default: {} },
    tenant_id: { type: 'string' },
  },
  attributes: {
    name: 'Name.',
    cidr: 'CIDR.',
    gateway_ip: 'Gateway IP.',
    network_id: 'Parent network.',
    allocation_pools: 'Pools.',
    host_routes: 'Routes.',
    dns_nameservers: 'DNS.',
    enable_dhcp: 'DHCP.',
    ip_version: 'IP version.',
  },
  body: async (ctx, p) => ({
    name: p.name ?? physicalName(ctx),
    network_id: await netId(ctx, p.network),
    ...pick(p, [
      'cidr',
      'ip_version',
      'enable_dhcp',
      'gateway_ip',
      'dns_nameservers',
      'allocation_pools',
      'host_routes',
    ]),
    ...(p.value_specs as Obj),
  }),
  updateBody: async (_ctx, p, changed) =>
    pick(
      p,
      changed.filter((k) => k !== 'value_specs'),
    ),
});

async function fixedIps(ctx: ResourceContext, list: unknown): Promise<Obj[] | undefined> {
  if (!Array.isArray(list)) return undefined;
  const out: Obj[] = [];
  for (const e of list as Obj[]) {
    const f: Obj = {};
    const sub = e.subnet ?? e.subnet_id;
    if (sub) f.subnet_id = await subnetId(ctx, sub);
    if (e.ip_address) f.ip_address = e.ip_address;
    out.push(f);
  }
  return out;
}

async function groupIds(ctx: ResourceContext, list: unknown): Promise<string[] | undefined> {
  if (!Array.isArray(list)) return undefined;
  const out: string[] = [];
  for (const g of list) out.push(await findId(ctx.cloud, 'network', 'security-groups', 'security_group', String(g)));
  return out;
}

export const neutronPort = simple({
  description: 'A Neutron port.',
  collection: 'ports',
  key: 'port',
  properties: {
    network: { type: 'string', required: true },
    name: { type: 'string', update_allowed: true },
    fixed_ips: { type: 'list', update_allowed: true },
    security_groups: { type: 'list', update_allowed: true },
    mac_address: { type: 'string' },
    admin_state_up: { type: 'boolean', default: true, update_allowed: true },
    device_id: { type: 'string', update_allowed: true },
    device_owner: { type: 'string', update_allowed: true },
    port_security_enabled: { type: 'boolean', update_allowed: true },
    allowed_address_pairs: { type: 'list', update_allowed: true },
    binding_vnic_type: { type: 'string' },
    value_specs: { type: 'map', default: {} },
  },
  attributes: {
    name: 'Name.',
    fixed_ips: 'Fixed IPs.',
    mac_address: 'MAC.',
    network_id: 'Network.',
    status: 'Status.',
    device_id: 'Device.',
    security_groups: 'Groups.',
  },
  body: async (ctx, p) => {
    const fixed = await fixedIps(ctx, p.fixed_ips);
    const groups = await groupIds(ctx, p.security_groups);
    return {
      name: p.name ?? physicalName(ctx),
      network_id: await netId(ctx, p.network),
      ...pick(p, [
        'mac_address',
        'admin_state_up',
        'device_id',
        'device_owner',
        'port_security_enabled',
        'allowed_address_pairs',
      ]),
      ...(fixed ? { fixed_ips: fixed } : {}),
      ...(groups ? { security_groups: groups } : {}),
      ...(p.value_specs as Obj),
    };
  },
  updateBody: async (ctx, p, changed) => {
    const out = pick(
      p,
      changed.filter((k) => !['value_specs', 'fixed_ips', 'security_groups'].includes(k)),
    );
    if (changed.includes('fixed_ips')) out.fixed_ips = (await fixedIps(ctx, p.fixed_ips)) ?? [];
    if (changed.includes('security_groups')) out.security_groups = (await groupIds(ctx, p.security_groups)) ?? [];
    return out;
  },
});
