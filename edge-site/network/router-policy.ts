/**
 * The routers an agent host plumbs, as the `routers` part of its network policy (site-agent/network/router.ts does
 * the plumbing): every router with an interface on a network the host has bound ports on, with all its interfaces
 * (the agent keeps the legs whose network is local), its external gateway, extra routes, and its associated floating
 * IPs. A router whose admin_state_up is false is not plumbed (Neutron takes its namespace down too).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { RouterLegSpec, RouterSpec } from '../../shared/schemas/network-policy.ts';
import { floatingIps, ports, routers, subnets } from '../db/schema/network.ts';
import type { NetCtx } from './context.ts';
import type { PortRecord } from './ports.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER, routerPorts } from './routers.ts';

/** The routers of a host whose bound ports sit on `networkIds`. */
export async function hostRouters(ctx: NetCtx, networkIds: Set<string>): Promise<RouterSpec[]> {
  if (networkIds.size === 0) return [];
  const ifaces = await ctx.db
    .select({ deviceId: ports.deviceId })
    .from(ports)
    .where(and(eq(ports.deviceOwner, INTERFACE_OWNER), inArray(ports.networkId, [...networkIds])));
  const routerIds = [...new Set(ifaces.map((p) => p.deviceId))];
  if (routerIds.length === 0) return [];
  const rows = (await ctx.db.select().from(routers).where(inArray(routers.id, routerIds))).filter(
    (r) => r.adminStateUp,
  );
  const specs: RouterSpec[] = [];
  for (const row of rows.sort((a, b) => a.id.localeCompare(b.id))) {
    const own = await routerPorts(ctx, row.id);
    const interfaces = own.filter((p) => p.row.deviceOwner === INTERFACE_OWNER);
    if (!interfaces.some((p) => networkIds.has(p.row.networkId))) continue;
    const gatewayPort =
      row.gatewayNetworkId === null ? undefined : own.find((p) => p.row.deviceOwner === GATEWAY_OWNER);
    const subnetRows = await subnetsOf(ctx, own);
    const leg = (p: PortRecord): RouterLegSpec => ({
      portId: p.row.id,
      networkId: p.row.networkId,
      mac: p.row.macAddress,
      ips: p.fixedIps.flatMap((f) => {
        const s = subnetRows.get(f.subnetId);
        return s ? [`${f.ipAddress}/${s.cidr.split('/')[1]}`] : [];
      }),
    });
    const nextHop =
      gatewayPort?.fixedIps.map((f) => subnetRows.get(f.subnetId)?.gatewayIp ?? null).find((g) => g !== null) ?? null;
    const fips = await ctx.db.select().from(floatingIps).where(eq(floatingIps.routerId, row.id));
    specs.push({
      id: row.id,
      interfaces: interfaces.map(leg),
      gateway: gatewayPort ? { ...leg(gatewayPort), nextHop, enableSnat: row.enableSnat } : null,
      floatingIps: fips.flatMap((f) =>
        f.portId !== null && f.fixedIpAddress !== null
          ? [{ id: f.id, floatingIp: f.floatingIpAddress, fixedIp: f.fixedIpAddress }]
          : [],
      ),
      routes: row.routes,
    });
  }
  return specs;
}

async function subnetsOf(ctx: NetCtx, own: PortRecord[]) {
  const ids = [...new Set(own.flatMap((p) => p.fixedIps.map((f) => f.subnetId)))];
  const rows = ids.length === 0 ? [] : await ctx.db.select().from(subnets).where(inArray(subnets.id, ids));
  return new Map(rows.map((s) => [s.id, s]));
}
