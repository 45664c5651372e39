/** Ports: MAC and fixed-IP allocation, security groups, binding; CRUD. Writers hold the module lock. */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { floatingIps, ipAllocations, networks, ports, securityGroups } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import {
  badAttribute,
  badRequestTyped,
  conflictOf,
  invalidInput,
  networkNotFound,
  policyDenied,
  portNotFound,
  securityGroupNotFound,
} from './errors.ts';
import { canonicalIp, parseCidr } from './ip.ts';
import { chooseFixedIps, type FixedIp, type FixedIpRequest } from './ipam.ts';
import { loadNetwork, type NetworkRow } from './networks.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';
import { ensureDefaultGroup } from './security-groups.ts';

/** A stored port. */
export type PortRow = typeof ports.$inferSelect;

/** A port with its fixed IPs. */
export interface PortRecord {
  row: PortRow;
  fixedIps: FixedIp[];
}

/** Writable attributes of a port. */
export interface PortInput {
  name?: string;
  description?: string;
  network_id?: string;
  admin_state_up?: boolean;
  mac_address?: string;
  fixed_ips?: FixedIpRequest[];
  device_id?: string;
  device_owner?: string;
  'binding:host_id'?: string;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown>;
  security_groups?: string[];
  allowed_address_pairs?: Array<{ ip_address: string; mac_address?: string }>;
  port_security_enabled?: boolean;
  dns_name?: string;
  extra_dhcp_opts?: DhcpOptInput[];
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
}

/** One `extra_dhcp_opts` entry; a null value removes the option on update. */
export interface DhcpOptInput {
  opt_name: string;
  opt_value: string | null;
  ip_version?: number;
}
type DhcpOpt = PortRow['extraDhcpOpts'][number];

/** Neutron's merge: options are keyed by (name, IP version); null values delete. */
function mergeDhcpOpts(current: DhcpOpt[], input: DhcpOptInput[] | undefined): DhcpOpt[] {
  if (input === undefined) return current;
  const out = [...current];
  for (const o of input) {
    const ipVersion = o.ip_version ?? 4;
    if (ipVersion !== 4 && ipVersion !== 6) throw badAttribute('extra_dhcp_opts', `'${ipVersion}' is not 4 or 6`);
    const at = out.findIndex((x) => x.opt_name === o.opt_name && x.ip_version === ipVersion);
    if (at >= 0) out.splice(at, 1);
    if (o.opt_value !== null)
      out.splice(at >= 0 ? at : out.length, 0, { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: ipVersion });
  }
  return out;
}

const VNIC_TYPES = new Set([
  'normal',
  'direct',
  'macvtap',
  'baremetal',
  'direct-physical',
  'virtio-forwarder',
  'smart-nic',
  'vdpa',
  'accelerator-direct',
  'accelerator-direct-physical',
  'remote-managed',
]);
/** Owners whose ports the L3 API manages; the port API may not delete them. */
const L3_OWNERS = new Set(['network:router_interface', 'network:router_gateway', 'network:floatingip']);

function statusOf(row: Pick<PortRow, 'hostId' | 'deviceOwner' | 'adminStateUp'>): string {
  if (row.deviceOwner === 'network:floatingip') return 'N/A';
  if (!row.adminStateUp) return 'DOWN';
  return row.hostId !== '' || row.deviceOwner.startsWith('network:router') ? 'ACTIVE' : 'DOWN';
}

/** The API form of a port; binding details beyond vnic_type are for admins. */
export function portView(p: PortRecord, auth: AuthContext): Dict {
  const r = p.row;
  const out: Dict = {
    id: r.id,
    name: r.name,
    description: r.description,
    network_id: r.networkId,
    mac_address: r.macAddress,
    admin_state_up: r.adminStateUp,
    status: r.status,
    device_id: r.deviceId,
    device_owner: r.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: r.allowedAddressPairs,
    extra_dhcp_opts: r.extraDhcpOpts,
    security_groups: r.securityGroups,
    port_security_enabled: r.portSecurityEnabled,
    'binding:vnic_type': r.vnicType,
    dns_name: r.dnsName,
    project_id: r.projectId,
    tenant_id: r.projectId,
    tags: r.tags,
    created_at: isoTime(r.createdAt),
    updated_at: isoTime(r.updatedAt),
    revision_number: r.revision,
  };
  if (isAdmin(auth)) {
    out['binding:host_id'] = r.hostId;
    out['binding:vif_type'] = r.hostId === '' ? 'unbound' : 'bridge';
    out['binding:vif_details'] = r.hostId === '' ? {} : { port_filter: true };
    out['binding:profile'] = r.profile;
  }
  return out;
}

/** Fixed IPs of ports, keyed by port id. */
export async function fixedIpsOf(ctx: NetCtx, portIds: string[]): Promise<Map<string, FixedIp[]>> {
  const out = new Map<string, FixedIp[]>();
  if (portIds.length === 0) return out;
  const rows = await ctx.db
    .select()
    .from(ipAllocations)
    .where(inArray(ipAllocations.portId, portIds))
    .orderBy(asc(ipAllocations.position));
  for (const a of rows)
    out.set(a.portId, [...(out.get(a.portId) ?? []), { subnetId: a.subnetId, ipAddress: a.ipAddress }]);
  return out;
}

/** Loads ports with their fixed IPs. */
export async function withFixedIps(ctx: NetCtx, rows: PortRow[]): Promise<PortRecord[]> {
  const ips = await fixedIpsOf(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({ row, fixedIps: ips.get(row.id) ?? [] }));
}

async function canSeePort(ctx: NetCtx, auth: AuthContext, row: PortRow): Promise<boolean> {
  if (owns(auth, row.projectId)) return true;
  const net = await ctx.db.select().from(networks).where(eq(networks.id, row.networkId)).get();
  return net !== undefined && owns(auth, net.projectId);
}

/** The port if the caller may see it (its project, its network's project, or admin); 404 otherwise. */
export async function loadPort(ctx: NetCtx, auth: AuthContext, id: string): Promise<PortRecord> {
  const row = await ctx.db.select().from(ports).where(eq(ports.id, id)).get();
  if (!row || !(await canSeePort(ctx, auth, row))) throw portNotFound(id);
  return (await withFixedIps(ctx, [row]))[0] ?? { row, fixedIps: [] };
}

/** Every port the caller may see, in API form. */
export async function listPorts(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const ownedNets = new Set(
    (await ctx.db.select().from(networks)).filter((n) => owns(auth, n.projectId)).map((n) => n.id),
  );
  const rows = (await ctx.db.select().from(ports).orderBy(sql`rowid`)).filter(
    (r) => owns(auth, r.projectId) || ownedNets.has(r.networkId),
  );
  return (await withFixedIps(ctx, rows)).map((p) => portView(p, auth));
}

async function newMac(ctx: NetCtx, networkId: string): Promise<string> {
  const used = new Set(
    (await ctx.db.select({ m: ports.macAddress }).from(ports).where(eq(ports.networkId, networkId))).map((r) => r.m),
  );
  for (;;) {
    const tail = [...ctx.deps.ids.bytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const mac = `fa:16:3e:${tail}`;
    if (!used.has(mac)) return mac;
  }
}

async function checkMac(ctx: NetCtx, networkId: string, mac: string, selfId?: string): Promise<string> {
  const m = mac.toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m) || (Number.parseInt(m.slice(0, 2), 16) & 1) === 1) {
    throw badAttribute('mac_address', `'${mac}' is not a valid MAC address`);
  }
  const clash = (await ctx.db.select().from(ports).where(eq(ports.networkId, networkId))).find(
    (p) => p.macAddress === m && p.id !== selfId,
  );
  if (clash) {
    throw conflictOf(
      'MacAddressInUse',
      `Unable to complete operation for network ${networkId}. The mac address ${m} is in use.`,
    );
  }
  return m;
}

async function checkGroups(ctx: NetCtx, auth: AuthContext, projectId: string, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found = await ctx.db.select().from(securityGroups).where(inArray(securityGroups.id, unique));
  for (const id of unique) {
    const g = found.find((f) => f.id === id);
    if (!g || (g.projectId !== projectId && !isAdmin(auth))) throw securityGroupNotFound(id);
  }
  return unique;
}

function checkPairs(pairs: PortInput['allowed_address_pairs'], mac: string) {
  if (pairs === undefined) return undefined;
  return pairs.map((p) => {
    const ok = canonicalIp(p.ip_address) !== null || (p.ip_address.includes('/') && parseCidr(p.ip_address, false).ok);
    if (!ok) throw badAttribute('allowed_address_pairs', `'${p.ip_address}' is not a valid IP address`);
    return { ip_address: p.ip_address, mac_address: (p.mac_address ?? mac).toLowerCase() };
  });
}

function checkDnsName(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return name;
  if (!/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/i.test(name)) {
    throw badAttribute('dns_name', `'${name}' is not a valid DNS name`);
  }
  return name.toLowerCase();
}

function checkBinding(auth: AuthContext, input: PortInput, action: string): void {
  if (isAdmin(auth)) return;
  for (const k of ['binding:host_id', 'binding:profile'] as const) {
    if (input[k] !== undefined) throw policyDenied(`rule:${action}_port:${k}`);
  }
}

/** Options for internal port creation (compute, routers, floating IPs). */
export interface CreatePortOptions {
  createdByCompute?: boolean;
  /** Skip the network-visibility check (ports the L3 service creates on external networks). */
  trusted?: boolean;
  /** Binds the port to a host (compute; bypasses the admin-only `binding:host_id` policy). */
  hostId?: string;
}

/** Creates a port (call with the module lock held). */
export async function createPortRecord(
  ctx: NetCtx,
  auth: AuthContext,
  input: PortInput,
  options: CreatePortOptions = {},
): Promise<PortRecord> {
  if (!input.network_id) throw badAttribute('network_id', "'None' is not a valid UUID");
  let net: NetworkRow;
  if (options.trusted) {
    const row = await ctx.db.select().from(networks).where(eq(networks.id, input.network_id)).get();
    if (!row) throw networkNotFound(input.network_id);
    net = row;
  } else {
    net = await loadNetwork(ctx, auth, input.network_id);
    checkBinding(auth, input, 'create');
  }
  const projectId = options.trusted && input.project_id !== undefined ? input.project_id : owningProject(auth, input);
  if (!options.trusted) await checkQuota(ctx, projectId, 'port');
  const deviceOwner = input.device_owner ?? '';
  const portSecurity = input.port_security_enabled ?? net.portSecurityEnabled;
  const vnicType = input['binding:vnic_type'] ?? 'normal';
  if (!VNIC_TYPES.has(vnicType)) throw badAttribute('binding:vnic_type', `'${vnicType}' is not in the supported types`);
  let groups: string[] = [];
  if (input.security_groups !== undefined) {
    groups = await checkGroups(ctx, auth, projectId, input.security_groups);
  } else if (portSecurity && !deviceOwner.startsWith('network:')) {
    groups = [(await ensureDefaultGroup(ctx, projectId)).id];
  }
  if (!portSecurity && groups.length > 0) {
    throw badRequestTyped(
      'PortSecurityAndIPRequiredForSecurityGroups',
      'Port security must be enabled and port must have an IP address in order to use security groups.',
    );
  }
  const mac = input.mac_address ? await checkMac(ctx, net.id, input.mac_address) : await newMac(ctx, net.id);
  const pairs = checkPairs(input.allowed_address_pairs, mac) ?? [];
  if (pairs.length > 0 && !portSecurity) {
    throw conflictOf(
      'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.',
    );
  }
  const fixedIps = await chooseFixedIps(ctx, net, input.fixed_ips, { deviceOwner });
  const now = ctx.deps.clock.now();
  const base = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    revision: 1,
    createdAt: now,
    updatedAt: now,
    networkId: net.id,
    macAddress: mac,
    adminStateUp: input.admin_state_up ?? true,
    deviceId: input.device_id ?? '',
    deviceOwner,
    hostId: options.hostId ?? input['binding:host_id'] ?? '',
    vnicType,
    profile: input['binding:profile'] ?? {},
    portSecurityEnabled: portSecurity,
    securityGroups: groups,
    allowedAddressPairs: pairs,
    dnsName: checkDnsName(input.dns_name) ?? '',
    extraDhcpOpts: mergeDhcpOpts([], input.extra_dhcp_opts),
    createdByCompute: options.createdByCompute ?? false,
  };
  const row: PortRow = { ...base, status: statusOf(base) };
  const allocs = fixedIps.map((f, i) => ({ ...f, portId: row.id, networkId: net.id, position: i }));
  if (allocs.length > 0) {
    await ctx.db.batch([ctx.db.insert(ports).values(row), ctx.db.insert(ipAllocations).values(allocs)]);
  } else {
    await ctx.db.insert(ports).values(row);
  }
  return { row, fixedIps };
}

/** Updates a port the caller owns (call with the module lock held). */
export async function updatePortRecord(
  ctx: NetCtx,
  auth: AuthContext,
  id: string,
  input: PortInput,
): Promise<PortRecord> {
  const cur = await loadPort(ctx, auth, id);
  const r = cur.row;
  if (!owns(auth, r.projectId)) throw policyDenied('rule:update_port');
  checkBinding(auth, input, 'update');
  if (input.network_id !== undefined && input.network_id !== r.networkId) {
    throw invalidInput('Cannot update read-only attribute network_id');
  }
  const net = await ctx.db.select().from(networks).where(eq(networks.id, r.networkId)).get();
  if (!net) throw portNotFound(id);
  const portSecurity = input.port_security_enabled ?? r.portSecurityEnabled;
  const groups =
    input.security_groups !== undefined
      ? await checkGroups(ctx, auth, r.projectId, input.security_groups)
      : r.securityGroups;
  if (!portSecurity && groups.length > 0) {
    throw conflictOf(
      'PortSecurityPortHasSecurityGroup',
      'Port has security group associated. Cannot disable port security or ip address until security group is removed',
    );
  }
  const mac =
    input.mac_address !== undefined ? await checkMac(ctx, r.networkId, input.mac_address, r.id) : r.macAddress;
  const pairs = checkPairs(input.allowed_address_pairs, mac) ?? r.allowedAddressPairs;
  if (pairs.length > 0 && !portSecurity) {
    throw conflictOf(
      'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.',
    );
  }
  let fixedIps = cur.fixedIps;
  const deviceOwner = input.device_owner ?? r.deviceOwner;
  if (input.fixed_ips !== undefined) {
    const unclaimed = [...cur.fixedIps];
    const requests = input.fixed_ips.map((q) => {
      if (q.ip_address !== undefined || q.subnet_id === undefined) return q;
      const i = unclaimed.findIndex((f) => f.subnetId === q.subnet_id);
      if (i < 0) return q;
      const [keep] = unclaimed.splice(i, 1);
      return { subnet_id: q.subnet_id, ip_address: keep?.ipAddress };
    });
    fixedIps = await chooseFixedIps(ctx, net, requests, { deviceOwner, held: cur.fixedIps });
  }
  const base = {
    ...r,
    name: input.name ?? r.name,
    description: input.description ?? r.description,
    tags: input.tags ?? r.tags,
    adminStateUp: input.admin_state_up ?? r.adminStateUp,
    deviceId: input.device_id ?? r.deviceId,
    deviceOwner,
    hostId: input['binding:host_id'] ?? r.hostId,
    vnicType: input['binding:vnic_type'] ?? r.vnicType,
    profile: input['binding:profile'] ?? r.profile,
    macAddress: mac,
    portSecurityEnabled: portSecurity,
    securityGroups: groups,
    allowedAddressPairs: pairs,
    dnsName: checkDnsName(input.dns_name) ?? r.dnsName,
    extraDhcpOpts: mergeDhcpOpts(r.extraDhcpOpts, input.extra_dhcp_opts),
    revision: r.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  if (!VNIC_TYPES.has(base.vnicType)) throw badAttribute('binding:vnic_type', `'${base.vnicType}' is not supported`);
  const row: PortRow = { ...base, status: statusOf(base) };
  const allocs = fixedIps.map((f, i) => ({ ...f, portId: r.id, networkId: r.networkId, position: i }));
  await ctx.db.batch([
    ctx.db.update(ports).set(row).where(eq(ports.id, r.id)),
    ctx.db.delete(ipAllocations).where(eq(ipAllocations.portId, r.id)),
    ...(allocs.length > 0 ? [ctx.db.insert(ipAllocations).values(allocs)] : []),
  ]);
  return { row, fixedIps };
}

/** Deletes a port and its addresses; floating IPs mapped to it are disassociated. */
export async function deletePortRow(ctx: NetCtx, id: string): Promise<void> {
  await ctx.db.batch([
    ctx.db
      .update(floatingIps)
      .set({ portId: null, fixedIpAddress: null, routerId: null })
      .where(eq(floatingIps.portId, id)),
    ctx.db.delete(ipAllocations).where(eq(ipAllocations.portId, id)),
    ctx.db.delete(ports).where(eq(ports.id, id)),
  ]);
}

/** Deletes a port through the port API (L3-owned ports are refused). */
export async function deletePort(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const { row } = await loadPort(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied('rule:delete_port');
  if (L3_OWNERS.has(row.deviceOwner) && !isAdmin(auth)) {
    throw conflictOf(
      'L3PortInUse',
      `Port ${id} cannot be deleted directly via the port API: has device owner ${row.deviceOwner}.`,
    );
  }
  await deletePortRow(ctx, id);
}
