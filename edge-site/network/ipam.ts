/**
 * IP address management: picks fixed IPs for a port from its network's subnets. Callers hold the module lock, so
 * the allocation table read here cannot change before they insert; its primary key (subnet, address) is the
 * last line of defence.
 */
import { eq } from 'drizzle-orm';
import { ipAllocations } from '../db/schema/network.ts';
import type { NetCtx } from './context.ts';
import { badRequestTyped, invalidInput, ipAlreadyAllocated, ipGenerationFailure } from './errors.ts';
import { contains, formatIp, lastOf, parseIp } from './ip.ts';
import type { NetworkRow } from './networks.ts';
import { cidrOf, type SubnetRow, subnetsOfNetwork } from './subnets.ts';

/** One requested fixed IP (Neutron's `fixed_ips` entry). */
export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

/** One allocated fixed IP. */
export interface FixedIp {
  subnetId: string;
  ipAddress: string;
}

async function usedIn(ctx: NetCtx, subnetId: string): Promise<Set<string>> {
  const rows = await ctx.db
    .select({ ip: ipAllocations.ipAddress })
    .from(ipAllocations)
    .where(eq(ipAllocations.subnetId, subnetId));
  return new Set(rows.map((r) => r.ip));
}

function firstFree(subnet: SubnetRow, used: Set<string>): string | null {
  const version = subnet.ipVersion === 6 ? 6 : 4;
  for (const pool of subnet.allocationPools) {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (!start || !end) continue;
    for (let v = start.value; v <= end.value; v++) {
      const ip = formatIp({ version, value: v });
      if (!used.has(ip)) return ip;
    }
  }
  return null;
}

/**
 * Chooses fixed IPs on `network`. Without requests: one address per IP family from the first subnet with room.
 * `held` are addresses the port already has (they count as free for it: port updates). Nothing is written.
 */
export async function chooseFixedIps(
  ctx: NetCtx,
  network: NetworkRow,
  requests: FixedIpRequest[] | undefined,
  opts: { deviceOwner: string; held?: FixedIp[] } = { deviceOwner: '' },
): Promise<FixedIp[]> {
  const subs = await subnetsOfNetwork(ctx, network.id);
  const held = new Set((opts.held ?? []).map((h) => `${h.subnetId}|${h.ipAddress}`));
  const usedCache = new Map<string, Set<string>>();
  const used = async (s: SubnetRow) => {
    let u = usedCache.get(s.id);
    if (!u) {
      u = await usedIn(ctx, s.id);
      for (const h of held) {
        const [sid, ip] = h.split('|');
        if (sid === s.id && ip) u.delete(ip);
      }
      usedCache.set(s.id, u);
    }
    return u;
  };
  const out: FixedIp[] = [];
  const take = async (s: SubnetRow, ip: string) => {
    (await used(s)).add(ip);
    out.push({ subnetId: s.id, ipAddress: ip });
  };

  if (requests === undefined) {
    for (const version of [4, 6]) {
      const family = subs.filter((s) => s.ipVersion === version);
      if (family.length === 0) continue;
      let got = false;
      for (const s of family) {
        const ip = firstFree(s, await used(s));
        if (ip) {
          await take(s, ip);
          got = true;
          break;
        }
      }
      if (!got) throw ipGenerationFailure(network.id);
    }
    return out;
  }

  for (const req of requests) {
    const bySubnet = req.subnet_id === undefined ? undefined : subs.find((s) => s.id === req.subnet_id);
    if (req.subnet_id !== undefined && !bySubnet) {
      throw invalidInput(
        `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${req.subnet_id}`,
      );
    }
    if (req.ip_address !== undefined) {
      const ip = parseIp(req.ip_address);
      if (!ip) throw invalidInput(`'${req.ip_address}' is not a valid IP address`);
      const text = formatIp(ip);
      const subnet = bySubnet ?? subs.find((s) => contains(cidrOf(s), ip));
      if (!subnet) {
        throw badRequestTyped(
          'InvalidIpForNetwork',
          `IP address ${text} is not a valid IP for any of the subnets on the specified network.`,
        );
      }
      const cidr = cidrOf(subnet);
      const reserved =
        cidr.version === 4 && cidr.prefix < 31 && (ip.value === cidr.network || ip.value === lastOf(cidr));
      if (!contains(cidr, ip) || reserved) {
        throw badRequestTyped('InvalidIpForSubnet', `IP address ${text} is not a valid IP for the specified subnet.`);
      }
      const isRouterPort = opts.deviceOwner.startsWith('network:router');
      if ((await used(subnet)).has(text) || (subnet.gatewayIp === text && !isRouterPort)) {
        throw ipAlreadyAllocated(text, subnet.id);
      }
      await take(subnet, text);
    } else if (bySubnet) {
      const ip = firstFree(bySubnet, await used(bySubnet));
      if (!ip) throw ipGenerationFailure(network.id);
      await take(bySubnet, ip);
    } else {
      throw invalidInput('fixed_ips entries need a subnet_id or an ip_address');
    }
  }
  return out;
}
