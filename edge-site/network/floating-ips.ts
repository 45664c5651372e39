/**
 * Floating IPs: an address held by a network:floatingip port on a router:external network, optionally mapped to a
 * fixed IPv4 address of a port that a router with a gateway on that network reaches (Neutron's
 * ExternalGatewayForFloatingIPNotFound otherwise). Writers hold the module lock. Associated, the router's agents
 * install the 1:1 NAT (router-policy.ts); status is ACTIVE while associated and DOWN otherwise, as Neutron's L3
 * agent reports it.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { floatingIps, networks, ports, routers } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import {
  badRequestOf,
  conflictOf,
  floatingIpNotFound,
  networkNotFound,
  notFoundOf,
  policyDenied,
  portNotFound,
} from './errors.ts';
import { canonicalIp, parseIp } from './ip.ts';
import { createPortRecord, deletePortRow, type PortRecord, type PortRow, withFixedIps } from './ports.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';
import { INTERFACE_OWNER } from './routers.ts';

/** A stored floating IP. */
export type FloatingIpRow = typeof floatingIps.$inferSelect;

/** Writable attributes of a floating IP. */
export interface FloatingIpInput {
  floating_network_id?: string;
  floating_ip_address?: string;
  subnet_id?: string;
  port_id?: string | null;
  fixed_ip_address?: string | null;
  description?: string;
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
}

/** Neutron's `port_details` (fip-port-details): a summary of the associated port. */
function portDetails(p: PortRow | undefined): Dict | null {
  if (!p) return null;
  return {
    name: p.name,
    network_id: p.networkId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
  };
}

/** The API form of a floating IP. */
export function floatingIpView(row: FloatingIpRow, port: PortRow | undefined): Dict {
  return {
    id: row.id,
    floating_ip_address: row.floatingIpAddress,
    floating_network_id: row.floatingNetworkId,
    router_id: row.routerId,
    port_id: row.portId,
    fixed_ip_address: row.fixedIpAddress,
    status: row.portId === null ? 'DOWN' : 'ACTIVE',
    port_details: portDetails(port),
    description: row.description,
    project_id: row.projectId,
    tenant_id: row.projectId,
    tags: row.tags,
    port_forwardings: [],
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    revision_number: row.revision,
  };
}

async function views(ctx: NetCtx, rows: FloatingIpRow[]): Promise<Dict[]> {
  const ids = rows.flatMap((r) => (r.portId === null ? [] : [r.portId]));
  const found = ids.length === 0 ? [] : await ctx.db.select().from(ports).where(inArray(ports.id, ids));
  const byId = new Map(found.map((p) => [p.id, p]));
  return rows.map((r) => floatingIpView(r, r.portId === null ? undefined : byId.get(r.portId)));
}

/** The floating IP if the caller may see it (own project or admin); 404 otherwise. */
export async function loadFloatingIp(ctx: NetCtx, auth: AuthContext, id: string): Promise<FloatingIpRow> {
  const row = await ctx.db.select().from(floatingIps).where(eq(floatingIps.id, id)).get();
  if (!row || !owns(auth, row.projectId)) throw floatingIpNotFound(id);
  return row;
}

/** One floating IP in API form. */
export async function showFloatingIp(ctx: NetCtx, auth: AuthContext, id: string): Promise<Dict> {
  return (await views(ctx, [await loadFloatingIp(ctx, auth, id)]))[0] ?? {};
}

/** Every floating IP the caller may see. */
export async function listFloatingIps(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const rows = (await ctx.db.select().from(floatingIps).orderBy(sql`rowid`)).filter((r) => owns(auth, r.projectId));
  return views(ctx, rows);
}

/** Where a floating IP maps to: the port, its fixed IPv4 address and the router that reaches it. */
interface Association {
  portId: string;
  fixedIpAddress: string;
  routerId: string;
}

function fipRequest(message: string): never {
  throw badRequestOf('floatingip', message);
}

/** Neutron's `_get_assoc_data`: checks the port, picks its fixed IPv4 and finds the router (see module doc). */
async function associate(
  ctx: NetCtx,
  auth: AuthContext,
  fip: { id: string; projectId: string; floatingNetworkId: string; floatingIpAddress: string },
  portId: string,
  fixedIp: string | null | undefined,
): Promise<Association> {
  const row = await ctx.db.select().from(ports).where(eq(ports.id, portId)).get();
  if (!row || (!isAdmin(auth) && row.projectId !== fip.projectId)) throw portNotFound(portId);
  const port: PortRecord = (await withFixedIps(ctx, [row]))[0] ?? { row, fixedIps: [] };
  const v4 = port.fixedIps.filter((f) => parseIp(f.ipAddress)?.version === 4);
  let chosen: (typeof v4)[number] | undefined;
  if (fixedIp !== undefined && fixedIp !== null) {
    const want = canonicalIp(fixedIp);
    chosen = port.fixedIps.find((f) => f.ipAddress === want);
    if (!chosen) fipRequest(`Port ${portId} does not have fixed ip ${fixedIp}`);
    if (parseIp(chosen.ipAddress)?.version !== 4)
      fipRequest(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
  } else {
    if (v4.length === 0) fipRequest(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
    if (v4.length > 1) {
      fipRequest(
        `Port ${portId} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP`,
      );
    }
    chosen = v4[0];
  }
  if (!chosen) fipRequest(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
  const taken = await ctx.db
    .select()
    .from(floatingIps)
    .where(and(eq(floatingIps.portId, portId), eq(floatingIps.fixedIpAddress, chosen.ipAddress)))
    .get();
  if (taken && taken.id !== fip.id) {
    throw conflictOf(
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${fip.floatingIpAddress} (${fip.id}) with port ${portId} using fixed IP ${chosen.ipAddress}, as that fixed IP already has a floating IP on external network ${taken.floatingNetworkId}.`,
    );
  }
  const routerId = await routerFor(ctx, chosen.subnetId, fip.floatingNetworkId);
  if (!routerId) {
    throw notFoundOf(
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${fip.floatingNetworkId} is not reachable from subnet ${chosen.subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
  return { portId, fixedIpAddress: chosen.ipAddress, routerId };
}

/** The oldest router with an interface on `subnetId` and a gateway on `externalNetworkId`. */
async function routerFor(ctx: NetCtx, subnetId: string, externalNetworkId: string): Promise<string | null> {
  const candidates = await ctx.db
    .select()
    .from(routers)
    .where(eq(routers.gatewayNetworkId, externalNetworkId))
    .orderBy(sql`rowid`);
  if (candidates.length === 0) return null;
  const ifaces = await withFixedIps(
    ctx,
    await ctx.db
      .select()
      .from(ports)
      .where(
        and(
          eq(ports.deviceOwner, INTERFACE_OWNER),
          inArray(
            ports.deviceId,
            candidates.map((r) => r.id),
          ),
        ),
      ),
  );
  const hit = candidates.find((r) =>
    ifaces.some((p) => p.row.deviceId === r.id && p.fixedIps.some((f) => f.subnetId === subnetId)),
  );
  return hit?.id ?? null;
}

/** Allocates a floating IP on an external network (associating it when `port_id` is given). */
export async function createFloatingIp(ctx: NetCtx, auth: AuthContext, input: FloatingIpInput): Promise<Dict> {
  if (!input.floating_network_id) fipRequest('floating_network_id is required');
  const projectId = owningProject(auth, input);
  const net = await ctx.db.select().from(networks).where(eq(networks.id, input.floating_network_id)).get();
  if (!net) throw networkNotFound(input.floating_network_id);
  if (!net.external) fipRequest(`Network ${net.id} is not a valid external network`);
  if (input.floating_ip_address !== undefined && !isAdmin(auth)) {
    throw policyDenied('rule:create_floatingip:floating_ip_address');
  }
  await checkQuota(ctx, projectId, 'floatingip');
  const id = ctx.deps.ids.uuid();
  const req =
    input.floating_ip_address !== undefined || input.subnet_id !== undefined
      ? [{ subnet_id: input.subnet_id, ip_address: input.floating_ip_address }]
      : undefined;
  // IPv4 only: without a request, take the first IPv4 subnet with room.
  const port = await createPortRecord(
    ctx,
    auth,
    { network_id: net.id, device_id: id, device_owner: 'network:floatingip', fixed_ips: req, project_id: '' },
    { trusted: true },
  );
  const address = port.fixedIps.find((f) => parseIp(f.ipAddress)?.version === 4);
  try {
    if (!address) fipRequest(`No IPv4 subnet on external network ${net.id}`);
    const base = { id, projectId, floatingNetworkId: net.id, floatingIpAddress: address.ipAddress };
    const assoc =
      input.port_id != null ? await associate(ctx, auth, base, input.port_id, input.fixed_ip_address) : undefined;
    const now = ctx.deps.clock.now();
    const row: FloatingIpRow = {
      ...base,
      description: input.description ?? '',
      tags: input.tags ?? [],
      revision: 1,
      createdAt: now,
      updatedAt: now,
      floatingPortId: port.row.id,
      portId: assoc?.portId ?? null,
      fixedIpAddress: assoc?.fixedIpAddress ?? null,
      routerId: assoc?.routerId ?? null,
    };
    await ctx.db.insert(floatingIps).values(row);
    ctx.deps.log.info({ floatingip: id, address: row.floatingIpAddress }, 'floating ip created');
    return (await views(ctx, [row]))[0] ?? {};
  } catch (err) {
    await deletePortRow(ctx, port.row.id);
    throw err;
  }
}

/** Associates (port_id), re-associates or disassociates (port_id null) a floating IP; updates its description. */
export async function updateFloatingIp(
  ctx: NetCtx,
  auth: AuthContext,
  id: string,
  input: FloatingIpInput,
): Promise<Dict> {
  const row = await loadFloatingIp(ctx, auth, id);
  let assoc: Pick<FloatingIpRow, 'portId' | 'fixedIpAddress' | 'routerId'> = row;
  if (input.port_id === null) {
    assoc = { portId: null, fixedIpAddress: null, routerId: null };
  } else if (input.port_id !== undefined) {
    assoc = await associate(ctx, auth, row, input.port_id, input.fixed_ip_address);
  } else if (input.fixed_ip_address != null) {
    if (row.portId === null) fipRequest('fixed_ip_address cannot be specified without a port_id');
    assoc = await associate(ctx, auth, row, row.portId, input.fixed_ip_address);
  }
  const next: FloatingIpRow = {
    ...row,
    ...assoc,
    description: input.description ?? row.description,
    tags: input.tags ?? row.tags,
    revision: row.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  await ctx.db.update(floatingIps).set(next).where(eq(floatingIps.id, id));
  return (await views(ctx, [next]))[0] ?? {};
}

/** Releases a floating IP and its port. */
export async function deleteFloatingIp(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const row = await loadFloatingIp(ctx, auth, id);
  await ctx.db.delete(floatingIps).where(eq(floatingIps.id, id));
  await deletePortRow(ctx, row.floatingPortId);
}
