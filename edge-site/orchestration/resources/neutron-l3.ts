/** OS::Neutron::Router, ::RouterInterface, ::FloatingIP(Association) and ::SecurityGroup over the site's Neutron API. */
import { isNotFound } from '../cloud.ts';
import { netId, type Obj, pick, simple, subnetId } from './neutron.ts';
import { findId, physicalName, type ResourceContext, type ResourceType } from './types.ts';

async function gatewayInfo(ctx: ResourceContext, g: unknown): Promise<Obj | null> {
  if (!g || typeof g !== 'object') return null;
  const e = g as Obj;
  const net = e.network ?? e.network_id;
  if (!net) return null;
  return { network_id: await netId(ctx, net), ...(e.enable_snat === undefined ? {} : { enable_snat: e.enable_snat }) };
}

export const neutronRouter = simple({
  description: 'A Neutron router.',
  collection: 'routers',
  key: 'router',
  properties: {
    name: { type: 'string', update_allowed: true },
    external_gateway_info: { type: 'map', update_allowed: true },
    admin_state_up: { type: 'boolean', default: true, update_allowed: true },
    distributed: { type: 'boolean' },
    ha: { type: 'boolean' },
    value_specs: { type: 'map', default: {} },
  },
  attributes: { name: 'Name.', status: 'Status.', external_gateway_info: 'Gateway.', admin_state_up: 'Admin state.' },
  body: async (ctx, p) => {
    const gw = await gatewayInfo(ctx, p.external_gateway_info);
    return {
      name: p.name ?? physicalName(ctx),
      ...pick(p, ['admin_state_up']),
      ...(gw ? { external_gateway_info: gw } : {}),
      ...(p.value_specs as Obj),
    };
  },
  updateBody: async (ctx, p, changed) => {
    const out = pick(
      p,
      changed.filter((k) => k === 'name' || k === 'admin_state_up'),
    );
    if (changed.includes('external_gateway_info'))
      out.external_gateway_info = (await gatewayInfo(ctx, p.external_gateway_info)) ?? {};
    return out;
  },
});

export const neutronRouterInterface: ResourceType = {
  description: 'Attaches a subnet (or port) to a router.',
  properties: {
    router: { type: 'string', required: true },
    subnet: { type: 'string' },
    port: { type: 'string' },
  },
  attributes: {},
  async create(ctx, p) {
    const router = await findId(ctx.cloud, 'network', 'routers', 'router', String(p.router));
    const body: Obj = p.subnet ? { subnet_id: await subnetId(ctx, p.subnet) } : { port_id: String(p.port) };
    await ctx.cloud.call('network', 'PUT', `/routers/${router}/add_router_interface`, body);
    const [k, v] = Object.entries(body)[0] as [string, string];
    return `${router}:${k.replace('_id', '')}_id=${v}`;
  },
  async delete(ctx, id) {
    const [router, spec] = id.split(':') as [string, string];
    const [k, v] = spec.split('=') as [string, string];
    try {
      await ctx.cloud.call('network', 'PUT', `/routers/${router}/remove_router_interface`, { [k]: v });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
  attribute: async () => null,
};

export const neutronFloatingIp = simple({
  description: 'A floating IP from an external network.',
  collection: 'floatingips',
  key: 'floatingip',
  properties: {
    floating_network: { type: 'string', required: true },
    port_id: { type: 'string', update_allowed: true },
    fixed_ip_address: { type: 'string', update_allowed: true },
    floating_ip_address: { type: 'string' },
    value_specs: { type: 'map', default: {} },
  },
  attributes: {
    floating_ip_address: 'The address.',
    floating_network_id: 'External network.',
    port_id: 'Port.',
    fixed_ip_address: 'Fixed IP.',
    router_id: 'Router.',
  },
  body: async (ctx, p) => ({
    floating_network_id: await netId(ctx, p.floating_network),
    ...pick(p, ['port_id', 'fixed_ip_address', 'floating_ip_address']),
    ...(p.value_specs as Obj),
  }),
  updateBody: async (_ctx, p) => ({
    port_id: p.port_id ?? null,
    ...(p.fixed_ip_address ? { fixed_ip_address: p.fixed_ip_address } : {}),
  }),
});

export const neutronFloatingIpAssociation: ResourceType = {
  description: 'Associates a floating IP with a port.',
  properties: {
    floatingip_id: { type: 'string', required: true },
    port_id: { type: 'string', required: true, update_allowed: true },
    fixed_ip_address: { type: 'string', update_allowed: true },
  },
  attributes: {},
  async create(ctx, p) {
    await ctx.cloud.call('network', 'PUT', `/floatingips/${p.floatingip_id}`, {
      floatingip: pick(p, ['port_id', 'fixed_ip_address']),
    });
    return `${String(p.floatingip_id)}:${String(p.port_id)}`;
  },
  async update(ctx, id, p) {
    await ctx.cloud.call('network', 'PUT', `/floatingips/${id.split(':')[0]}`, {
      floatingip: pick(p, ['port_id', 'fixed_ip_address']),
    });
  },
  async delete(ctx, id) {
    try {
      await ctx.cloud.call('network', 'PUT', `/floatingips/${id.split(':')[0]}`, { floatingip: { port_id: null } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
  attribute: async () => null,
};

export const neutronSecurityGroup = simple({
  description: 'A security group and its rules.',
  collection: 'security-groups',
  key: 'security_group',
  properties: {
    name: { type: 'string', update_allowed: true },
    description: { type: 'string', update_allowed: true },
    rules: { type: 'list', default: [] },
  },
  attributes: { name: 'Name.', security_group_rules: 'Rules.' },
  body: async (ctx, p) => ({ name: p.name ?? physicalName(ctx), ...pick(p, ['description']) }),
  updateBody: async (_ctx, p, changed) =>
    pick(
      p,
      changed.filter((k) => k !== 'rules'),
    ),
  afterCreate: async (ctx, id, p) => {
    for (const r of (p.rules ?? []) as Obj[]) {
      const rule: Obj = {
        security_group_id: id,
        direction: r.direction ?? 'ingress',
        ethertype: r.ethertype ?? 'IPv4',
      };
      for (const k of ['protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id']) {
        if (r[k] !== undefined && r[k] !== null) rule[k] = r[k];
      }
      if (r.remote_mode === 'remote_group_id' && !rule.remote_group_id) rule.remote_group_id = id;
      try {
        await ctx.cloud.call('network', 'POST', '/security-group-rules', { security_group_rule: rule });
      } catch (err) {
        // The default egress rules already exist: Neutron says 409.
        if (!(err instanceof Error && 'status' in err && err.status === 409)) throw err;
      }
    }
  },
});
