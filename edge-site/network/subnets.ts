/** Subnets: CIDR, gateway and allocation-pool validation (Neutron's rules), CRUD. */
import { eq, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { ipAllocations, networks, ports, subnets } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import { badRequestTyped, conflictOf, invalidInput, policyDenied, subnetNotFound } from './errors.ts';
import { type Cidr, contains, formatCidr, formatIp, hostRange, lastOf, overlaps, parseCidr, parseIp } from './ip.ts';
import { AUTO_DELETE_OWNERS, loadNetwork, type NetworkRow } from './networks.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';

/** A stored subnet. */
export type SubnetRow = typeof subnets.$inferSelect;
type Pool = { start: string; end: string };
type Route = { destination: string; nexthop: string };

/** Writable attributes of a subnet. */
export interface SubnetInput {
  name?: string;
  description?: string;
  network_id?: string;
  ip_version?: number;
  cidr?: string;
  gateway_ip?: string | null;
  allocation_pools?: Pool[];
  enable_dhcp?: boolean;
  dns_nameservers?: string[];
  host_routes?: Route[];
  ipv6_ra_mode?: string | null;
  ipv6_address_mode?: string | null;
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
}

/** The API form of a subnet. */
export function subnetView(row: SubnetRow): Dict {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    network_id: row.networkId,
    ip_version: row.ipVersion,
    cidr: row.cidr,
    gateway_ip: row.gatewayIp,
    allocation_pools: row.allocationPools,
    enable_dhcp: row.enableDhcp,
    dns_nameservers: row.dnsNameservers,
    host_routes: row.hostRoutes,
    ipv6_ra_mode: row.ipv6RaMode,
    ipv6_address_mode: row.ipv6AddressMode,
    subnetpool_id: null,
    service_types: [],
    project_id: row.projectId,
    tenant_id: row.projectId,
    tags: row.tags,
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    revision_number: row.revision,
  };
}

/** Parsed CIDR of a stored subnet (always valid: validated on create). */
export function cidrOf(row: SubnetRow): Cidr {
  const r = parseCidr(row.cidr);
  if (!r.ok) throw new Error(`stored subnet ${row.id} has an invalid cidr`);
  return r.cidr;
}

/**
 * Whether others' subnets on `net` are visible: on shared networks and to the network's owner. An external network
 * is visible to everyone but its subnets are not (Neutron: router:external grants no subnet access).
 */
function subnetsVisible(auth: AuthContext, net: NetworkRow): boolean {
  return net.shared || owns(auth, net.projectId);
}

/** The subnet if the caller may see it (own, or on a network it may see); 404 otherwise. */
export async function loadSubnet(ctx: NetCtx, auth: AuthContext, id: string): Promise<SubnetRow> {
  const row = await ctx.db.select().from(subnets).where(eq(subnets.id, id)).get();
  if (!row) throw subnetNotFound(id);
  if (owns(auth, row.projectId)) return row;
  const net = await ctx.db.select().from(networks).where(eq(networks.id, row.networkId)).get();
  if (!net || !subnetsVisible(auth, net)) throw subnetNotFound(id);
  return row;
}

/** Every subnet the caller may see. */
export async function listSubnets(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const nets = new Map((await ctx.db.select().from(networks)).map((n) => [n.id, n]));
  const rows = await ctx.db.select().from(subnets).orderBy(sql`rowid`);
  return rows
    .filter((r) => {
      const n = nets.get(r.networkId);
      return owns(auth, r.projectId) || (n !== undefined && subnetsVisible(auth, n));
    })
    .map(subnetView);
}

/** Subnets of a network, oldest first. */
export async function subnetsOfNetwork(ctx: NetCtx, networkId: string): Promise<SubnetRow[]> {
  return ctx.db.select().from(subnets).where(eq(subnets.networkId, networkId)).orderBy(sql`rowid`);
}

function ipOf(attr: string, s: string, version: number) {
  const ip = parseIp(s);
  if (!ip) throw invalidInput(`'${s}' is not a valid IP address for ${attr}`);
  if (ip.version !== version) throw invalidInput(`${attr} ${s} does not match the subnet's IP version ${version}`);
  return ip;
}

/** Validates gateway and pools against the CIDR; returns canonical values (defaults filled in). */
function checkAddressing(
  cidr: Cidr,
  cidrText: string,
  gatewayIn: string | null | undefined,
  poolsIn: Pool[] | undefined,
) {
  const hosts = hostRange(cidr);
  let gateway: string | null = null;
  if (gatewayIn === undefined) {
    gateway = hosts ? formatIp({ version: cidr.version, value: hosts.first }) : null;
  } else if (gatewayIn !== null) {
    const gw = ipOf('gateway_ip', gatewayIn, cidr.version);
    const isNetOrBcast =
      contains(cidr, gw) &&
      ((cidr.version === 4 && cidr.prefix < 31 && (gw.value === cidr.network || gw.value === lastOf(cidr))) ||
        (cidr.version === 6 && cidr.prefix < 127 && gw.value === cidr.network));
    if (isNetOrBcast) throw invalidInput(`Gateway is not valid on subnet`);
    gateway = formatIp(gw);
  }
  const gwValue = gateway === null ? null : parseIp(gateway)?.value;
  let ranges: Array<{ start: bigint; end: bigint }>;
  if (poolsIn === undefined) {
    ranges = [];
    if (hosts) {
      if (gwValue != null && gwValue >= hosts.first && gwValue <= hosts.last) {
        if (gwValue > hosts.first) ranges.push({ start: hosts.first, end: gwValue - 1n });
        if (gwValue < hosts.last) ranges.push({ start: gwValue + 1n, end: hosts.last });
      } else {
        ranges.push({ start: hosts.first, end: hosts.last });
      }
    }
  } else {
    ranges = poolsIn.map((p) => {
      const s = ipOf('allocation_pools', p.start, cidr.version);
      const e = ipOf('allocation_pools', p.end, cidr.version);
      if (s.value > e.value) {
        throw badRequestTyped('InvalidAllocationPool', `The allocation pool ${p.start}-${p.end} is not valid.`);
      }
      if (!hosts || s.value < hosts.first || e.value > hosts.last) {
        throw badRequestTyped(
          'OutOfBoundsAllocationPool',
          `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${cidrText}.`,
        );
      }
      return { start: s.value, end: e.value };
    });
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1];
      const b = sorted[i];
      if (a && b && b.start <= a.end) {
        const f = (r: { start: bigint; end: bigint }) =>
          `${formatIp({ version: cidr.version, value: r.start })}-${formatIp({ version: cidr.version, value: r.end })}`;
        throw conflictOf(
          'OverlappingAllocationPools',
          `Found overlapping allocation pools: ${f(a)} ${f(b)} for subnet ${cidrText}.`,
        );
      }
    }
    if (gwValue != null) {
      const hit = ranges.find((r) => gwValue >= r.start && gwValue <= r.end);
      if (hit) {
        throw conflictOf(
          'GatewayConflictWithAllocationPools',
          `Gateway ip ${gateway} conflicts with allocation pool ${formatIp({ version: cidr.version, value: hit.start })}-${formatIp({ version: cidr.version, value: hit.end })}`,
        );
      }
    }
  }
  const pools = ranges.map((r) => ({
    start: formatIp({ version: cidr.version, value: r.start }),
    end: formatIp({ version: cidr.version, value: r.end }),
  }));
  return { gateway, pools };
}

function checkDns(list: string[] | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const seen = new Set<string>();
  for (const s of list) {
    if (!parseIp(s)) throw invalidInput(`'${s}' is not a valid nameserver`);
    if (seen.has(s)) throw invalidInput(`Duplicate nameserver '${s}'`);
    seen.add(s);
  }
  if (list.length > 5) throw invalidInput('Number of DNS nameservers exceeds the limit 5');
  return list;
}

function checkRoutes(list: Route[] | undefined, version: number): Route[] | undefined {
  if (list === undefined) return undefined;
  return list.map((r) => {
    const d = parseCidr(r.destination, false);
    if (!d.ok) throw invalidInput(`Invalid route destination: ${d.reason}`);
    const nh = ipOf('host_routes nexthop', r.nexthop, version);
    if (d.cidr.version !== version) throw invalidInput(`Route ${r.destination} does not match the subnet's IP version`);
    return { destination: formatCidr(d.cidr), nexthop: formatIp(nh) };
  });
}

const V6_MODES = new Set(['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless']);

/** Creates a subnet on a network the caller owns. */
export async function createSubnet(ctx: NetCtx, auth: AuthContext, input: SubnetInput): Promise<Dict> {
  if (!input.network_id) throw invalidInput('network_id is required');
  const net = await loadNetwork(ctx, auth, input.network_id);
  if (!owns(auth, net.projectId)) throw policyDenied('rule:create_subnet and rule:admin_or_network_owner');
  const projectId = owningProject(auth, input);
  await checkQuota(ctx, projectId, 'subnet');
  if (input.cidr === undefined) throw invalidInput('A cidr must be specified in the absence of a subnet pool');
  const parsed = parseCidr(input.cidr);
  if (!parsed.ok) throw invalidInput(parsed.reason);
  const cidr = parsed.cidr;
  const version = input.ip_version ?? cidr.version;
  if (version !== 4 && version !== 6) throw invalidInput(`${version} is not a valid IP version (4 or 6)`);
  if (version !== cidr.version) throw invalidInput(`Cidr ${input.cidr} does not match ip_version ${version}`);
  if (cidr.prefix === 0) throw invalidInput(`${input.cidr} is not allowed as a subnet cidr`);
  for (const mode of [input.ipv6_ra_mode, input.ipv6_address_mode]) {
    if (mode == null) continue;
    if (version !== 6)
      throw invalidInput(
        'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4',
      );
    if (!V6_MODES.has(mode)) throw invalidInput(`'${mode}' is not in ${[...V6_MODES].join(', ')}`);
  }
  const cidrText = formatCidr(cidr);
  for (const other of await subnetsOfNetwork(ctx, net.id)) {
    if (overlaps(cidrOf(other), cidr)) {
      throw invalidInput(`Requested subnet with cidr: ${cidrText} for network: ${net.id} overlaps with another subnet`);
    }
  }
  const { gateway, pools } = checkAddressing(cidr, cidrText, input.gateway_ip, input.allocation_pools);
  const now = ctx.deps.clock.now();
  const row: SubnetRow = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    revision: 0,
    createdAt: now,
    updatedAt: now,
    networkId: net.id,
    ipVersion: version,
    cidr: cidrText,
    gatewayIp: gateway,
    allocationPools: pools,
    enableDhcp: input.enable_dhcp ?? true,
    dnsNameservers: checkDns(input.dns_nameservers) ?? [],
    hostRoutes: checkRoutes(input.host_routes, version) ?? [],
    ipv6RaMode: input.ipv6_ra_mode ?? null,
    ipv6AddressMode: input.ipv6_address_mode ?? null,
  };
  await ctx.db.insert(subnets).values(row);
  await ctx.db
    .update(networks)
    .set({ revision: net.revision + 1, updatedAt: now })
    .where(eq(networks.id, net.id));
  return subnetView(row);
}

/** Updates a subnet's mutable attributes (name, gateway, pools, DHCP, DNS, routes). */
export async function updateSubnet(ctx: NetCtx, auth: AuthContext, id: string, input: SubnetInput): Promise<Dict> {
  const row = await loadSubnet(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied('rule:update_subnet');
  const cidr = cidrOf(row);
  const addressing =
    input.gateway_ip !== undefined || input.allocation_pools !== undefined
      ? checkAddressing(
          cidr,
          row.cidr,
          input.gateway_ip === undefined ? row.gatewayIp : input.gateway_ip,
          input.allocation_pools ?? (input.gateway_ip === undefined ? row.allocationPools : undefined),
        )
      : { gateway: row.gatewayIp, pools: row.allocationPools };
  // A new gateway keeps the existing pools unless they contain it (Neutron rejects that case).
  if (input.gateway_ip !== undefined && input.allocation_pools === undefined) {
    const kept = checkAddressing(cidr, row.cidr, input.gateway_ip, row.allocationPools);
    addressing.pools = kept.pools;
  }
  const next: SubnetRow = {
    ...row,
    name: input.name ?? row.name,
    description: input.description ?? row.description,
    tags: input.tags ?? row.tags,
    gatewayIp: addressing.gateway,
    allocationPools: addressing.pools,
    enableDhcp: input.enable_dhcp ?? row.enableDhcp,
    dnsNameservers: checkDns(input.dns_nameservers) ?? row.dnsNameservers,
    hostRoutes: checkRoutes(input.host_routes, row.ipVersion) ?? row.hostRoutes,
    revision: row.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  await ctx.db.update(subnets).set(next).where(eq(subnets.id, id));
  return subnetView(next);
}

/** Deletes a subnet; 409 SubnetInUse while ports other than network-owned ones hold addresses from it. */
export async function deleteSubnet(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const row = await loadSubnet(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied('rule:delete_subnet');
  const held = await ctx.db
    .select({ owner: ports.deviceOwner })
    .from(ipAllocations)
    .innerJoin(ports, eq(ports.id, ipAllocations.portId))
    .where(eq(ipAllocations.subnetId, id));
  if (held.some((h) => !AUTO_DELETE_OWNERS.has(h.owner))) {
    throw conflictOf(
      'SubnetInUse',
      `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
    );
  }
  await ctx.db.batch([
    ctx.db.delete(ipAllocations).where(eq(ipAllocations.subnetId, id)),
    ctx.db.delete(subnets).where(eq(subnets.id, id)),
  ]);
}
