/** Networks: create/show/list/update/delete with Neutron's visibility rules. */
import { eq, inArray, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { floatingIps, ipAllocations, networks, ports, subnets } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import { conflictOf, invalidInput, networkNotFound, policyDenied } from './errors.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';

/** A stored network. */
export type NetworkRow = typeof networks.$inferSelect;

/** Writable attributes of a network (validated for type by the API layer). */
export interface NetworkInput {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  shared?: boolean;
  'router:external'?: boolean;
  mtu?: number;
  port_security_enabled?: boolean;
  availability_zone_hints?: string[];
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
}

/** Default MTU: a VXLAN overlay on a 1500-byte underlay. */
export const DEFAULT_MTU = 1450;

/** Device owners whose ports go away with their network (they never make it "in use"). */
export const AUTO_DELETE_OWNERS = new Set(['network:dhcp', 'network:distributed']);

/** True when the caller may see the network: own project, shared, external, or admin. */
export function canSeeNetwork(auth: AuthContext, row: NetworkRow): boolean {
  return row.shared || row.external || owns(auth, row.projectId);
}

/** The API form of a network. */
export function networkView(row: NetworkRow, subnetIds: string[], auth: AuthContext): Dict {
  const out: Dict = {
    id: row.id,
    name: row.name,
    description: row.description,
    admin_state_up: row.adminStateUp,
    status: 'ACTIVE',
    subnets: subnetIds,
    shared: row.shared,
    'router:external': row.external,
    mtu: row.mtu,
    port_security_enabled: row.portSecurityEnabled,
    availability_zone_hints: row.azHints,
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    project_id: row.projectId,
    tenant_id: row.projectId,
    tags: row.tags,
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    revision_number: row.revision,
  };
  if (isAdmin(auth)) {
    out['provider:network_type'] = row.networkType;
    out['provider:physical_network'] = row.physicalNetwork;
    out['provider:segmentation_id'] = row.segmentationId;
  }
  return out;
}

/** The network if the caller may see it; 404 otherwise. */
export async function loadNetwork(ctx: NetCtx, auth: AuthContext, id: string): Promise<NetworkRow> {
  const row = await ctx.db.select().from(networks).where(eq(networks.id, id)).get();
  if (!row || !canSeeNetwork(auth, row)) throw networkNotFound(id);
  return row;
}

async function subnetIdsByNetwork(ctx: NetCtx, networkIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (networkIds.length === 0) return out;
  const rows = await ctx.db
    .select({ id: subnets.id, networkId: subnets.networkId })
    .from(subnets)
    .where(inArray(subnets.networkId, networkIds))
    .orderBy(sql`rowid`);
  for (const r of rows) out.set(r.networkId, [...(out.get(r.networkId) ?? []), r.id]);
  return out;
}

/** Every network the caller may see, in API form. */
export async function listNetworks(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const rows = (await ctx.db.select().from(networks).orderBy(sql`rowid`)).filter((r) => canSeeNetwork(auth, r));
  const subs = await subnetIdsByNetwork(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => networkView(r, subs.get(r.id) ?? [], auth));
}

/** One network in API form. */
export async function showNetwork(ctx: NetCtx, auth: AuthContext, id: string): Promise<Dict> {
  const row = await loadNetwork(ctx, auth, id);
  const subs = await subnetIdsByNetwork(ctx, [id]);
  return networkView(row, subs.get(id) ?? [], auth);
}

const NETWORK_TYPES = new Set(['vxlan', 'geneve', 'vlan', 'flat', 'local']);

function checkAdminOnly(auth: AuthContext, input: NetworkInput, action: string): void {
  if (isAdmin(auth)) return;
  if (input.shared === true) throw policyDenied(`rule:${action}_network:shared`);
  if (input['router:external'] === true) throw policyDenied(`rule:${action}_network:router:external`);
  for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const) {
    if (input[k] !== undefined) throw policyDenied(`rule:${action}_network:${k}`);
  }
}

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && (mtu < 68 || mtu > 1500)) {
    throw invalidInput(`Requested MTU is too big, maximum is 1500; minimum is 68, got ${mtu}`);
  }
}

/** Creates a network. */
export async function createNetwork(ctx: NetCtx, auth: AuthContext, input: NetworkInput): Promise<Dict> {
  checkAdminOnly(auth, input, 'create');
  checkMtu(input.mtu);
  const projectId = owningProject(auth, input);
  await checkQuota(ctx, projectId, 'network');
  const type = input['provider:network_type'] ?? 'vxlan';
  if (!NETWORK_TYPES.has(type)) throw invalidInput(`network_type value '${type}' not supported`);
  let segmentationId = input['provider:segmentation_id'] ?? null;
  if (segmentationId === null && (type === 'vxlan' || type === 'geneve')) {
    const used = await ctx.db.select({ s: networks.segmentationId }).from(networks);
    segmentationId = Math.max(0, ...used.map((u) => u.s ?? 0)) + 1;
  }
  const now = ctx.deps.clock.now();
  const row: NetworkRow = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    revision: 1,
    createdAt: now,
    updatedAt: now,
    adminStateUp: input.admin_state_up ?? true,
    shared: input.shared ?? false,
    external: input['router:external'] ?? false,
    mtu: input.mtu ?? DEFAULT_MTU,
    portSecurityEnabled: input.port_security_enabled ?? true,
    azHints: input.availability_zone_hints ?? [],
    networkType: type,
    physicalNetwork: input['provider:physical_network'] ?? (type === 'flat' || type === 'vlan' ? 'physnet1' : null),
    segmentationId,
  };
  await ctx.db.insert(networks).values(row);
  ctx.deps.log.info({ network: row.id, project: projectId }, 'network created');
  return networkView(row, [], auth);
}

/** Updates a network the caller owns (or any, for an admin). */
export async function updateNetwork(ctx: NetCtx, auth: AuthContext, id: string, input: NetworkInput): Promise<Dict> {
  const row = await loadNetwork(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied('rule:update_network');
  if (input.project_id !== undefined || input.tenant_id !== undefined) {
    throw invalidInput("Attribute 'project_id' cannot be updated");
  }
  checkAdminOnly(auth, input, 'update');
  checkMtu(input.mtu);
  const next: NetworkRow = {
    ...row,
    name: input.name ?? row.name,
    description: input.description ?? row.description,
    tags: input.tags ?? row.tags,
    adminStateUp: input.admin_state_up ?? row.adminStateUp,
    shared: input.shared ?? row.shared,
    external: input['router:external'] ?? row.external,
    mtu: input.mtu ?? row.mtu,
    portSecurityEnabled: input.port_security_enabled ?? row.portSecurityEnabled,
    revision: row.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  await ctx.db.update(networks).set(next).where(eq(networks.id, id));
  return showNetwork(ctx, auth, id);
}

/** Deletes a network and its subnets; 409 NetworkInUse while ports other than network-owned ones remain. */
export async function deleteNetwork(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const row = await loadNetwork(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied('rule:delete_network');
  const onNet = await ctx.db.select().from(ports).where(eq(ports.networkId, id));
  // Unassociated floating IPs go with their external network (Neutron); associated ones keep it in use.
  const fips = await ctx.db.select().from(floatingIps).where(eq(floatingIps.floatingNetworkId, id));
  const freeFipPorts = new Set(fips.filter((f) => f.portId === null).map((f) => f.floatingPortId));
  if (onNet.some((p) => !AUTO_DELETE_OWNERS.has(p.deviceOwner) && !freeFipPorts.has(p.id))) {
    throw conflictOf(
      'NetworkInUse',
      `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
    );
  }
  const doomed = onNet.map((p) => p.id);
  await ctx.db.batch([
    ctx.db.delete(floatingIps).where(eq(floatingIps.floatingNetworkId, id)),
    ctx.db.delete(ipAllocations).where(eq(ipAllocations.networkId, id)),
    ctx.db.delete(ports).where(inArray(ports.id, doomed.length > 0 ? doomed : [''])),
    ctx.db.delete(subnets).where(eq(subnets.networkId, id)),
    ctx.db.delete(networks).where(eq(networks.id, id)),
  ]);
  ctx.deps.log.info({ network: id }, 'network deleted');
}
