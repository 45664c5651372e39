/**
 * `add_router_interface` / `remove_router_interface`: a router joins a subnet through a network:router_interface
 * port holding the subnet's gateway address (by subnet_id), or adopts an existing unbound port (by port_id).
 * Neutron's rules: one port per subnet per router (400), no overlapping subnets on one router (400), a gateway
 * address another router holds is a 409 IpAddressAlreadyAllocated. Writers hold the module lock.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { floatingIps, ports, subnets } from '../db/schema/network.ts';
import type { NetCtx } from './context.ts';
import { badRequestOf, conflictOf, notFoundOf, subnetNotFound } from './errors.ts';
import { contains, overlaps, parseIp } from './ip.ts';
import { createPortRecord, deletePortRow, loadPort, type PortRecord } from './ports.ts';
import type { Dict } from './query.ts';
import { INTERFACE_OWNER, loadRouter, type RouterRow, routerPorts } from './routers.ts';
import { cidrOf, loadSubnet, type SubnetRow } from './subnets.ts';

/** The body of both actions. */
export interface InterfaceInput {
  subnet_id?: string;
  port_id?: string;
}

function infoOf(router: RouterRow, port: PortRecord, subnetIds: string[]): Dict {
  return {
    id: router.id,
    tenant_id: router.projectId,
    project_id: router.projectId,
    port_id: port.row.id,
    network_id: port.row.networkId,
    subnet_id: subnetIds[0] ?? null,
    subnet_ids: subnetIds,
  };
}

async function subnetRows(ctx: NetCtx, ids: string[]): Promise<SubnetRow[]> {
  const all = await ctx.db.select().from(subnets);
  return ids.flatMap((id) => all.filter((s) => s.id === id));
}

/** Neutron's `_check_for_dup_router_subnets`: same subnet twice or overlapping CIDRs on one router are 400s. */
async function checkDuplicates(ctx: NetCtx, router: RouterRow, fresh: SubnetRow[]): Promise<void> {
  const attached = (await routerPorts(ctx, router.id)).filter((p) => p.row.deviceOwner === INTERFACE_OWNER);
  const freshIds = new Set(fresh.map((s) => s.id));
  for (const p of attached) {
    for (const f of p.fixedIps) {
      if (freshIds.has(f.subnetId)) throw badRequestOf('router', `Router already has a port on subnet ${f.subnetId}`);
    }
  }
  const existing = await subnetRows(
    ctx,
    attached.flatMap((p) => p.fixedIps.map((f) => f.subnetId)),
  );
  for (const sub of existing) {
    for (const s of fresh) {
      if (overlaps(cidrOf(sub), cidrOf(s))) {
        throw badRequestOf(
          'router',
          `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${sub.cidr} of subnet ${sub.id}`,
        );
      }
    }
  }
}

/** `PUT /routers/{id}/add_router_interface`. */
export async function addInterface(ctx: NetCtx, auth: AuthContext, routerId: string, input: InterfaceInput) {
  const router = await loadRouter(ctx, auth, routerId);
  if (input.subnet_id === undefined && input.port_id === undefined) {
    throw badRequestOf('router', 'Either subnet_id or port_id must be specified');
  }
  if (input.subnet_id !== undefined && input.port_id !== undefined) {
    throw badRequestOf('router', 'Cannot specify both subnet-id and port-id');
  }
  if (input.port_id !== undefined) {
    const port = await loadPort(ctx, auth, input.port_id);
    if (port.row.deviceId !== '' || port.row.deviceOwner !== '') {
      throw conflictOf(
        'PortInUse',
        `Unable to complete operation on port ${port.row.id} for network ${port.row.networkId}. Port already has an attached device ${port.row.deviceId}.`,
      );
    }
    if (port.fixedIps.length === 0) throw badRequestOf('router', 'Router port must have at least one fixed IP');
    const subs = await subnetRows(
      ctx,
      port.fixedIps.map((f) => f.subnetId),
    );
    if (subs.filter((s) => s.ipVersion === 4).length > 1) {
      throw badRequestOf('router', 'Cannot have multiple IPv4 subnets on router port');
    }
    await checkDuplicates(ctx, router, subs);
    await ctx.db
      .update(ports)
      .set({ deviceId: router.id, deviceOwner: INTERFACE_OWNER, status: 'ACTIVE', revision: port.row.revision + 1 })
      .where(eq(ports.id, port.row.id));
    return infoOf(
      router,
      port,
      subs.map((s) => s.id),
    );
  }
  const subnetId = input.subnet_id ?? '';
  const subnet = await loadSubnet(ctx, auth, subnetId);
  if (!subnet.gatewayIp) throw badRequestOf('router', 'Subnet for router interface must have a gateway IP');
  await checkDuplicates(ctx, router, [subnet]);
  const port = await createPortRecord(
    ctx,
    auth,
    {
      network_id: subnet.networkId,
      fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gatewayIp }],
      device_id: router.id,
      device_owner: INTERFACE_OWNER,
      project_id: router.projectId,
    },
    { trusted: true },
  );
  return infoOf(router, port, [subnet.id]);
}

async function checkNotRouted(ctx: NetCtx, router: RouterRow, subnet: SubnetRow): Promise<void> {
  const cidr = cidrOf(subnet);
  if (
    router.routes.some((r) => {
      const nh = parseIp(r.nexthop);
      return nh !== null && contains(cidr, nh);
    })
  ) {
    throw conflictOf(
      'RouterInterfaceInUseByRoute',
      `Router interface for subnet ${subnet.id} on router ${router.id} cannot be deleted, as it is required by one or more routes.`,
    );
  }
  const fips = await ctx.db
    .select()
    .from(floatingIps)
    .where(and(eq(floatingIps.routerId, router.id), isNotNull(floatingIps.portId)));
  for (const f of fips) {
    const ip = f.fixedIpAddress === null ? null : parseIp(f.fixedIpAddress);
    if (ip && contains(cidr, ip)) {
      throw conflictOf(
        'RouterInterfaceInUseByFloatingIP',
        `Router interface for subnet ${subnet.id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`,
      );
    }
  }
}

/** `PUT /routers/{id}/remove_router_interface`: deletes the interface port. */
export async function removeInterface(ctx: NetCtx, auth: AuthContext, routerId: string, input: InterfaceInput) {
  const router = await loadRouter(ctx, auth, routerId);
  if (input.subnet_id === undefined && input.port_id === undefined) {
    throw badRequestOf('router', 'Either subnet_id or port_id must be specified');
  }
  const interfaces = (await routerPorts(ctx, router.id)).filter((p) => p.row.deviceOwner === INTERFACE_OWNER);
  let port: PortRecord | undefined;
  if (input.port_id !== undefined) {
    port = interfaces.find((p) => p.row.id === input.port_id);
    if (!port) {
      throw notFoundOf(
        'RouterInterfaceNotFound',
        `Router ${router.id} does not have an interface with id ${input.port_id}`,
      );
    }
    if (input.subnet_id !== undefined && !port.fixedIps.some((f) => f.subnetId === input.subnet_id)) {
      throw conflictOf(
        'SubnetMismatchForPort',
        `Subnet on port ${input.port_id} does not match the requested subnet ${input.subnet_id}`,
      );
    }
  } else {
    const subnetId = input.subnet_id ?? '';
    const visible = await loadSubnet(ctx, auth, subnetId).catch(() => undefined);
    if (!visible) throw subnetNotFound(subnetId);
    port = interfaces.find((p) => p.fixedIps.some((f) => f.subnetId === subnetId));
    if (!port) {
      throw notFoundOf(
        'RouterInterfaceNotFoundForSubnet',
        `Router ${router.id} has no interface on subnet ${subnetId}`,
      );
    }
  }
  const subs = await subnetRows(
    ctx,
    port.fixedIps.map((f) => f.subnetId),
  );
  for (const s of subs) await checkNotRouted(ctx, router, s);
  await deletePortRow(ctx, port.row.id);
  return infoOf(
    router,
    port,
    subs.map((s) => s.id),
  );
}
