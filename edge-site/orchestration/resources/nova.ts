/** OS::Nova::Server and OS::Nova::KeyPair over the site's Nova API. */
import { isNotFound } from '../cloud.ts';
import {
  deleteIgnoringNotFound,
  findId,
  gone,
  physicalName,
  propertyError,
  type ResourceContext,
  type ResourceType,
} from './types.ts';

interface NovaServer {
  id: string;
  name: string;
  status: string;
  addresses?: Record<string, Array<{ addr: string; version: number; 'OS-EXT-IPS:type'?: string }>>;
  fault?: { message?: string };
  accessIPv4?: string;
  accessIPv6?: string;
  'OS-EXT-SRV-ATTR:instance_name'?: string;
  [k: string]: unknown;
}

async function getServer(ctx: ResourceContext, id: string): Promise<NovaServer> {
  return (await ctx.cloud.call<{ server: NovaServer }>('compute', 'GET', `/servers/${id}`)).server;
}

/** Nova's `networks` from Heat's list of {network, port, fixed_ip, subnet}. */
async function novaNetworks(ctx: ResourceContext, nets: unknown[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const n of nets) {
    if (typeof n !== 'object' || n === null) throw propertyError('Each item of "networks" must be a map');
    const e = n as Record<string, unknown>;
    const item: Record<string, string> = {};
    const net = e.network ?? e.uuid;
    if (typeof net === 'string' && net !== '')
      item.uuid = await findId(ctx.cloud, 'network', 'networks', 'network', net);
    if (typeof e.port === 'string' && e.port !== '') item.port = e.port;
    if (typeof e.fixed_ip === 'string' && e.fixed_ip !== '') item.fixed_ip = e.fixed_ip;
    if (typeof e.subnet === 'string' && e.subnet !== '' && !item.uuid) {
      const s = await ctx.cloud.call<{ subnet: { network_id: string } }>(
        'network',
        'GET',
        `/subnets/${await findId(ctx.cloud, 'network', 'subnets', 'subnet', e.subnet)}`,
      );
      item.uuid = s.subnet.network_id;
    }
    out.push(item);
  }
  return out;
}

async function blockDevices(ctx: ResourceContext, bdms: unknown[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const b of bdms) {
    const e = { ...(b as Record<string, unknown>) };
    const m: Record<string, unknown> = {};
    if (typeof e.image === 'string' || typeof e.image_id === 'string') {
      m.source_type = 'image';
      m.uuid = await findId(ctx.cloud, 'image', 'images', 'image', String(e.image ?? e.image_id));
      m.destination_type = e.destination_type ?? 'volume';
    } else if (typeof e.volume_id === 'string') {
      m.source_type = 'volume';
      m.uuid = e.volume_id;
      m.destination_type = 'volume';
    } else if (typeof e.snapshot_id === 'string') {
      m.source_type = 'snapshot';
      m.uuid = e.snapshot_id;
      m.destination_type = 'volume';
    } else {
      m.source_type = e.source_type ?? 'blank';
      m.destination_type = e.destination_type ?? 'local';
    }
    for (const k of ['boot_index', 'device_name', 'volume_size', 'delete_on_termination', 'disk_bus', 'device_type']) {
      if (e[k] !== undefined && e[k] !== null) m[k] = k === 'volume_size' || k === 'boot_index' ? Number(e[k]) : e[k];
    }
    if (m.boot_index === undefined && out.length === 0 && m.source_type !== 'blank') m.boot_index = 0;
    out.push(m);
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user data: with SOFTWARE_CONFIG, a software config id (get_resource of OS::Heat::CloudConfig…) is its text. */
async function userData(ctx: ResourceContext, p: Record<string, unknown>): Promise<string> {
  const raw = String(p.user_data);
  if (p.user_data_format !== 'SOFTWARE_CONFIG' || !UUID.test(raw)) return raw;
  const r = await ctx.cloud.call<{ software_config: { config: string } }>(
    'orchestration',
    'GET',
    `/software_configs/${raw}`,
  );
  return r.software_config.config;
}

function firstAddress(s: NovaServer): string {
  for (const addrs of Object.values(s.addresses ?? {})) {
    const v4 = addrs.find((a) => a.version === 4 && a['OS-EXT-IPS:type'] !== 'floating') ?? addrs[0];
    if (v4) return v4.addr;
  }
  return '';
}

export const novaServer: ResourceType = {
  description: 'A Nova server (virtual machine).',
  properties: {
    name: { type: 'string', update_allowed: true, description: 'Server name.' },
    image: { type: 'string', description: 'Image name or id.' },
    flavor: { type: 'string', required: true, description: 'Flavor name or id.' },
    key_name: { type: 'string', description: 'Name of the keypair to inject.' },
    networks: { type: 'list', description: 'Networks: list of {network, port, fixed_ip, subnet}.' },
    security_groups: { type: 'list', description: 'Security group names or ids.' },
    user_data: { type: 'string', default: '', description: 'User data script.' },
    user_data_format: {
      type: 'string',
      default: 'HEAT_CFNTOOLS',
      description: 'RAW, HEAT_CFNTOOLS or SOFTWARE_CONFIG (all passed raw).',
    },
    metadata: { type: 'map', update_allowed: true, description: 'Server metadata.' },
    block_device_mapping_v2: { type: 'list', description: 'Block device mappings (v2).' },
    availability_zone: { type: 'string', description: 'Availability zone.' },
    config_drive: { type: 'boolean', description: 'Use a config drive.' },
    admin_pass: { type: 'string', description: 'Administrator password.' },
    scheduler_hints: { type: 'map', description: 'Scheduler hints.' },
    software_config_transport: { type: 'string', description: 'Ignored.' },
  },
  attributes: {
    first_address: 'The first IPv4 address of the server.',
    networks: 'Addresses by network name.',
    addresses: "Nova's addresses.",
    name: 'Name of the server.',
    accessIPv4: 'The manually assigned IPv4 address.',
    accessIPv6: 'The manually assigned IPv6 address.',
    instance_name: 'The AWS-compatible instance name.',
    show: 'Detailed information about the server.',
  },
  async create(ctx, p) {
    if (!p.image && !p.block_device_mapping_v2)
      throw propertyError('Neither image nor bootable volume is specified for instance');
    const server: Record<string, unknown> = {
      name: p.name ?? physicalName(ctx),
      flavorRef: await findId(ctx.cloud, 'compute', 'flavors', 'flavor', String(p.flavor)),
    };
    if (p.image) server.imageRef = await findId(ctx.cloud, 'image', 'images', 'image', String(p.image));
    if (p.key_name) server.key_name = p.key_name;
    if (p.user_data) server.user_data = Buffer.from(await userData(ctx, p)).toString('base64');
    if (p.metadata)
      server.metadata = Object.fromEntries(
        Object.entries(p.metadata as object).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );
    if (p.networks) server.networks = await novaNetworks(ctx, p.networks as unknown[]);
    if (p.security_groups) server.security_groups = (p.security_groups as unknown[]).map((n) => ({ name: String(n) }));
    if (p.block_device_mapping_v2)
      server.block_device_mapping_v2 = await blockDevices(ctx, p.block_device_mapping_v2 as unknown[]);
    if (p.availability_zone) server.availability_zone = p.availability_zone;
    if (p.config_drive !== undefined) server.config_drive = p.config_drive;
    if (p.admin_pass) server.adminPass = p.admin_pass;
    const body: Record<string, unknown> = { server };
    if (p.scheduler_hints) body['os:scheduler_hints'] = p.scheduler_hints;
    const r = await ctx.cloud.call<{ server: { id: string } }>('compute', 'POST', '/servers', body);
    return r.server.id;
  },
  async checkCreate(ctx, id) {
    await ctx.waitFor('server to become ACTIVE', async () => {
      const s = await getServer(ctx, id);
      if (s.status === 'ERROR') throw new Error(`Went to status ERROR due to "${s.fault?.message ?? 'Unknown'}"`);
      return s.status === 'ACTIVE';
    });
  },
  async update(ctx, id, p, changed) {
    if (changed.includes('name')) {
      await ctx.cloud.call('compute', 'PUT', `/servers/${id}`, { server: { name: p.name ?? physicalName(ctx) } });
    }
    if (changed.includes('metadata')) {
      const metadata = Object.fromEntries(
        Object.entries((p.metadata ?? {}) as object).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]),
      );
      await ctx.cloud.call('compute', 'PUT', `/servers/${id}/metadata`, { metadata });
    }
  },
  async delete(ctx, id) {
    await deleteIgnoringNotFound(ctx, 'compute', `/servers/${id}`);
    await ctx.waitFor('server to be deleted', () => gone(ctx, 'compute', `/servers/${id}`));
  },
  async attribute(ctx, id, name) {
    let s: NovaServer;
    try {
      s = await getServer(ctx, id);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    switch (name) {
      case 'first_address':
        return firstAddress(s);
      case 'networks':
        return Object.fromEntries(Object.entries(s.addresses ?? {}).map(([n, a]) => [n, a.map((x) => x.addr)]));
      case 'addresses':
        return s.addresses ?? {};
      case 'name':
        return s.name;
      case 'accessIPv4':
        return s.accessIPv4 ?? '';
      case 'accessIPv6':
        return s.accessIPv6 ?? '';
      case 'instance_name':
        return s['OS-EXT-SRV-ATTR:instance_name'] ?? null;
      case 'show':
        return s;
      default:
        return null;
    }
  },
};

export const novaKeyPair: ResourceType = {
  description: 'A Nova SSH keypair.',
  properties: {
    name: { type: 'string', required: true, description: 'Keypair name.' },
    public_key: { type: 'string', description: 'Public key to import; generated when absent.' },
    save_private_key: {
      type: 'boolean',
      default: false,
      description: 'Keep the generated private key as an attribute.',
    },
    type: { type: 'string', description: 'ssh or x509.' },
  },
  attributes: { public_key: 'The public key.', private_key: 'The private key, if saved.', show: 'The keypair.' },
  async create(ctx, p) {
    const keypair: Record<string, unknown> = { name: p.name };
    if (p.public_key) keypair.public_key = p.public_key;
    if (p.type) keypair.type = p.type;
    const r = await ctx.cloud.call<{ keypair: { name: string; private_key?: string } }>(
      'compute',
      'POST',
      '/os-keypairs',
      { keypair },
    );
    if (p.save_private_key && r.keypair.private_key) ctx.data.private_key = r.keypair.private_key;
    return r.keypair.name;
  },
  async delete(ctx, id) {
    await deleteIgnoringNotFound(ctx, 'compute', `/os-keypairs/${encodeURIComponent(id)}`);
  },
  async attribute(ctx, id, name) {
    if (name === 'private_key') return ctx.data.private_key ?? '';
    const r = await ctx.cloud.call<{ keypair: Record<string, unknown> }>(
      'compute',
      'GET',
      `/os-keypairs/${encodeURIComponent(id)}`,
    );
    return name === 'show' ? r.keypair : (r.keypair[name] ?? null);
  },
};
