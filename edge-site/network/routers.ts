/**
 * Routers: CRUD, the external gateway (a network:router_gateway port on a router:external network) and extra routes
 * whose next hops must sit on a subnet the router is connected to. Interfaces are in router-interfaces.ts. Writers
 * hold the module lock. The agents that host ports on a router's networks plumb it (router-policy.ts ->
 * site-agent/network/router.ts): a namespace per router, SNAT and floating IPs in nftables.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { floatingIps, networks, ports, routers, subnets } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import { badRequestOf, badRequestTyped, conflictOf, networkNotFound, policyDenied, routerNotFound } from './errors.ts';
import { contains, formatCidr, formatIp, parseCidr, parseIp } from './ip.ts';
import type { FixedIpRequest } from './ipam.ts';
import { createPortRecord, deletePortRow, type PortRecord, withFixedIps } from './ports.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';

/** A stored router. */
export type RouterRow = typeof routers.$inferSelect;
type Route = { destination: string; nexthop: string };

/** The `external_gateway_info` a client sends. */
export interface GatewayInput {
  network_id?: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIpRequest[];
}

/** Writable attributes of a router. */
export interface RouterInput {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  external_gateway_info?: GatewayInput | null;
  routes?: Route[] | null;
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
  distributed?: boolean;
  ha?: boolean;
}

/** Device owners of a router's ports. */
export const GATEWAY_OWNER = 'network:router_gateway';
export const INTERFACE_OWNER = 'network:router_interface';
/** Neutron's max_routes default. */
const MAX_ROUTES = 30;

/** The router's ports (gateway and interfaces) with their fixed IPs, oldest first. */
export async function routerPorts(ctx: NetCtx, routerId: string): Promise<PortRecord[]> {
  const rows = await ctx.db.select().from(ports).where(eq(ports.deviceId, routerId)).orderBy(sql`rowid`);
  return withFixedIps(
    ctx,
    rows.filter((r) => r.deviceOwner === GATEWAY_OWNER || r.deviceOwner === INTERFACE_OWNER),
  );
}

/** The API form of a router. */
export function routerView(row: RouterRow, gateway: PortRecord | undefined): Dict {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    admin_state_up: row.adminStateUp,
    status: 'ACTIVE',
    external_gateway_info:
      row.gatewayNetworkId === null
        ? null
        : {
            network_id: row.gatewayNetworkId,
            enable_snat: row.enableSnat,
            external_fixed_ips: (gateway?.fixedIps ?? []).map((f) => ({
              subnet_id: f.subnetId,
              ip_address: f.ipAddress,
            })),
          },
    routes: row.routes,
    availability_zone_hints: [],
    availability_zones: ['nova'],
    project_id: row.projectId,
    tenant_id: row.projectId,
    tags: row.tags,
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    revision_number: row.revision,
  };
}

/** The router if the caller may see it (own project or admin); 404 otherwise. */
export async function loadRouter(ctx: NetCtx, auth: AuthContext, id: string): Promise<RouterRow> {
  const row = await ctx.db.select().from(routers).where(eq(routers.id, id)).get();
  if (!row || !owns(auth, row.projectId)) throw routerNotFound(id);
  return row;
}

async function viewOf(ctx: NetCtx, row: RouterRow): Promise<Dict> {
  const gw = (await routerPorts(ctx, row.id)).find((p) => p.row.deviceOwner === GATEWAY_OWNER);
  return routerView(row, gw);
}

/** One router in API form. */
export async function showRouter(ctx: NetCtx, auth: AuthContext, id: string): Promise<Dict> {
  return viewOf(ctx, await loadRouter(ctx, auth, id));
}

/** Every router the caller may see. */
export async function listRouters(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const rows = (await ctx.db.select().from(routers).orderBy(sql`rowid`)).filter((r) => owns(auth, r.projectId));
  const gws = await withFixedIps(ctx, await ctx.db.select().from(ports).where(eq(ports.deviceOwner, GATEWAY_OWNER)));
  const byRouter = new Map(gws.map((g) => [g.row.deviceId, g]));
  return rows.map((r) => routerView(r, byRouter.get(r.id)));
}

/**
 * Points the router's gateway at `info.network_id` (or removes it for null/{}), replacing the gateway port when the
 * network or the requested addresses change. `enable_snat` and `external_fixed_ips` are admin-only (Neutron policy).
 */
async function applyGateway(
  ctx: NetCtx,
  auth: AuthContext,
  row: RouterRow,
  info: GatewayInput | null,
): Promise<Pick<RouterRow, 'gatewayNetworkId' | 'enableSnat'>> {
  const current = (await routerPorts(ctx, row.id)).find((p) => p.row.deviceOwner === GATEWAY_OWNER);
  if (info === null || info.network_id === undefined) {
    if (info !== null && (info.enable_snat !== undefined || info.external_fixed_ips !== undefined)) {
      throw badRequestOf('router', 'network_id is required in external_gateway_info');
    }
    if (row.gatewayNetworkId !== null) await checkNoFloatingIps(ctx, row);
    if (current) await deletePortRow(ctx, current.row.id);
    return { gatewayNetworkId: null, enableSnat: true };
  }
  if (!isAdmin(auth)) {
    if (info.enable_snat !== undefined) policyDeniedGw('enable_snat');
    if (info.external_fixed_ips !== undefined) policyDeniedGw('external_fixed_ips');
  }
  const net = await ctx.db.select().from(networks).where(eq(networks.id, info.network_id)).get();
  if (!net) throw networkNotFound(info.network_id);
  if (!net.external) throw badRequestOf('router', `Network ${net.id} is not an external network`);
  const enableSnat = info.enable_snat ?? (row.gatewayNetworkId === net.id ? row.enableSnat : true);
  const sameNet = current !== undefined && current.row.networkId === net.id;
  if (sameNet && info.external_fixed_ips === undefined) return { gatewayNetworkId: net.id, enableSnat };
  if (row.gatewayNetworkId !== null && row.gatewayNetworkId !== net.id) await checkNoFloatingIps(ctx, row);
  if (current) await deletePortRow(ctx, current.row.id);
  await createPortRecord(
    ctx,
    auth,
    {
      network_id: net.id,
      device_id: row.id,
      device_owner: GATEWAY_OWNER,
      fixed_ips: info.external_fixed_ips,
      project_id: '',
    },
    { trusted: true },
  );
  return { gatewayNetworkId: net.id, enableSnat };
}

function policyDeniedGw(attr: string): never {
  throw policyDenied(`rule:create_router:external_gateway_info:${attr}`);
}

async function checkNoFloatingIps(ctx: NetCtx, row: RouterRow): Promise<void> {
  const used = await ctx.db
    .select({ id: floatingIps.id })
    .from(floatingIps)
    .where(and(eq(floatingIps.routerId, row.id), isNotNull(floatingIps.portId)))
    .get();
  if (used) {
    throw conflictOf(
      'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${row.id}, since a gateway to external network ${row.gatewayNetworkId} is required by one or more floating IPs.`,
    );
  }
}

function invalidRoutes(routes: Route[], reason: string): never {
  const text = JSON.stringify(routes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })));
  throw badRequestTyped('InvalidRoutes', `Invalid format for routes: ${text}, ${reason}.`);
}

/** Validates extra routes: well-formed, unique, and each next hop on a subnet of the router but not the router. */
async function checkRoutes(ctx: NetCtx, routerId: string, routes: Route[]): Promise<Route[]> {
  if (routes.length > MAX_ROUTES) {
    throw badRequestTyped(
      'RoutesExhausted',
      `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${MAX_ROUTES}.`,
    );
  }
  const out: Route[] = [];
  const seen = new Set<string>();
  for (const r of routes) {
    const d = parseCidr(r.destination, false);
    if (!d.ok) invalidRoutes(routes, `'${r.destination}' is not a valid destination: ${d.reason}`);
    const nh = parseIp(r.nexthop);
    if (!nh) invalidRoutes(routes, `'${r.nexthop}' is not a valid nexthop`);
    const route = { destination: formatCidr(d.cidr), nexthop: formatIp(nh) };
    const key = `${route.destination}|${route.nexthop}`;
    if (seen.has(key)) throw badRequestTyped('HTTPBadRequest', `Duplicate hostroute '${JSON.stringify(r)}'`);
    seen.add(key);
    out.push(route);
  }
  const held = (await routerPorts(ctx, routerId)).flatMap((p) => p.fixedIps);
  const subnetRows = await ctx.db.select().from(subnets);
  const cidrs = held.flatMap((f) => {
    const s = subnetRows.find((x) => x.id === f.subnetId);
    const c = s ? parseCidr(s.cidr) : undefined;
    return c?.ok ? [c.cidr] : [];
  });
  const ips = new Set(held.map((f) => f.ipAddress));
  for (const r of out) {
    const nh = parseIp(r.nexthop);
    if (!nh || !cidrs.some((c) => contains(c, nh))) invalidRoutes(routes, 'the nexthop is not connected with router');
    if (ips.has(r.nexthop)) invalidRoutes(routes, 'the nexthop is used by router');
  }
  return out;
}

/** `distributed` and `ha` are admin-only (Neutron policy); only the centralized, non-HA answer exists here. */
function checkModes(auth: AuthContext, input: RouterInput, action: string): void {
  for (const k of ['distributed', 'ha'] as const) {
    if (input[k] === undefined) continue;
    if (!isAdmin(auth)) throw policyDenied(`rule:${action}_router:${k}`);
    if (input[k]) throw badRequestOf('router', `${k} routers are not supported`);
  }
}

/** Creates a router (with its gateway port when asked). */
export async function createRouter(ctx: NetCtx, auth: AuthContext, input: RouterInput): Promise<Dict> {
  checkModes(auth, input, 'create');
  const projectId = owningProject(auth, input);
  await checkQuota(ctx, projectId, 'router');
  const now = ctx.deps.clock.now();
  const row: RouterRow = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    revision: 1,
    createdAt: now,
    updatedAt: now,
    adminStateUp: input.admin_state_up ?? true,
    gatewayNetworkId: null,
    enableSnat: true,
    routes: [],
  };
  // Validate the gateway before anything is written; the port needs the router's id.
  const gwInfo = input.external_gateway_info ?? null;
  if (gwInfo !== null && gwInfo.network_id !== undefined) {
    const net = await ctx.db.select().from(networks).where(eq(networks.id, gwInfo.network_id)).get();
    if (!net) throw networkNotFound(gwInfo.network_id);
  }
  await ctx.db.insert(routers).values(row);
  try {
    const gw = await applyGateway(ctx, auth, row, gwInfo);
    if (gw.gatewayNetworkId !== null) {
      await ctx.db.update(routers).set(gw).where(eq(routers.id, row.id));
    }
    ctx.deps.log.info({ router: row.id, project: projectId }, 'router created');
    return viewOf(ctx, { ...row, ...gw });
  } catch (err) {
    await ctx.db.delete(routers).where(eq(routers.id, row.id));
    throw err;
  }
}

/** Updates name, state, gateway and extra routes. */
export async function updateRouter(ctx: NetCtx, auth: AuthContext, id: string, input: RouterInput): Promise<Dict> {
  const row = await loadRouter(ctx, auth, id);
  checkModes(auth, input, 'update');
  const routes = input.routes === undefined ? row.routes : await checkRoutes(ctx, id, input.routes ?? []);
  const gw =
    input.external_gateway_info === undefined
      ? { gatewayNetworkId: row.gatewayNetworkId, enableSnat: row.enableSnat }
      : await applyGateway(ctx, auth, row, input.external_gateway_info);
  const next: RouterRow = {
    ...row,
    ...gw,
    routes,
    name: input.name ?? row.name,
    description: input.description ?? row.description,
    tags: input.tags ?? row.tags,
    adminStateUp: input.admin_state_up ?? row.adminStateUp,
    revision: row.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  await ctx.db.update(routers).set(next).where(eq(routers.id, id));
  return viewOf(ctx, next);
}

/** Deletes a router: 409 RouterInUse while it has interfaces; its gateway port goes with it. */
export async function deleteRouter(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const row = await loadRouter(ctx, auth, id);
  const owned = await routerPorts(ctx, id);
  if (owned.some((p) => p.row.deviceOwner === INTERFACE_OWNER)) {
    throw conflictOf('RouterInUse', `Router ${id} still has ports`);
  }
  await checkNoFloatingIps(ctx, row);
  for (const p of owned) await deletePortRow(ctx, p.row.id);
  await ctx.db.update(floatingIps).set({ routerId: null }).where(eq(floatingIps.routerId, id));
  await ctx.db.delete(routers).where(eq(routers.id, id));
  ctx.deps.log.info({ router: id }, 'router deleted');
}
