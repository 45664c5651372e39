/**
 * The routers an agent host plumbs, as the `routers` part of its network policy (site-agent/network/router.ts does
 * the plumbing): every router with an interface on a network the host has bound ports on, with all its interfaces
 * (the agent keeps the legs whose network is local), its external gateway, extra routes, and its associated floating
 * IPs. A router whose admin_state_up is false is not plumbed (Neutron takes its namespace down too).
 *
 * A router spanning hosts is plumbed on each (networks are per-host bridges: there is no overlay between hosts), and
 * they would all claim the gateway's address on the provider network. So, like Neutron's DVR: the gateway address and
 * SNAT live on one host (the first, by id, with ports on the router's networks), and each host answers for the
 * floating IPs of its own ports on a gateway leg of its own MAC, without the gateway address.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { RouterLegSpec, RouterSpec } from '../../shared/schemas/network-policy.ts';
import { floatingIps, ports, routers, subnets } from '../db/schema/network.ts';
import type { NetCtx } from './context.ts';
import type { PortRecord } from './ports.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER, routerPorts } from './routers.ts';

/** A MAC of the gateway leg on a host that does not hold the gateway address (stable per host and port). */
const hostMac = (host: string, portId: string) =>
  `fa:16:3e:${(createHash('sha256').update(`${host}\0${portId}`).digest('hex').match(/../g) ?? []).slice(0, 3).join(':')}`;

/** The routers of `host`, whose bound ports sit on `networkIds`. */
export async function hostRouters(ctx: NetCtx, host: string, networkIds: Set<string>): Promise<RouterSpec[]> {
  if (networkIds.size === 0) return [];
  const bound = await ctx.db
    .select({ id: ports.id, hostId: ports.hostId, networkId: ports.networkId })
    .from(ports)
    .where(ne(ports.hostId, ''));
  const hostOf = new Map(bound.map((p) => [p.id, p.hostId]));
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
    const routerNets = new Set(interfaces.map((p) => p.row.networkId));
    const gatewayHost = bound
      .filter((p) => routerNets.has(p.networkId))
      .map((p) => p.hostId)
      .sort()[0];
    const gateway = (p: PortRecord) =>
      gatewayHost === host
        ? { ...leg(p), nextHop, enableSnat: row.enableSnat }
        : { ...leg(p), mac: hostMac(host, p.row.id), ips: [], nextHop, enableSnat: false };
    specs.push({
      id: row.id,
      interfaces: interfaces.map(leg),
      gateway: gatewayPort ? gateway(gatewayPort) : null,
      // Each host answers for the floating IPs of its own ports.
      floatingIps: fips.flatMap((f) =>
        f.portId !== null && f.fixedIpAddress !== null && hostOf.get(f.portId) === host
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
