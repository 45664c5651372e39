/**
 * The NetworkService compute uses: ports for servers (Nova's `networks` request), all-or-nothing, serialized by the
 * module lock so concurrent boots never get the same address. Errors use Nova's wording: compute shows them.
 */
import { and, asc, eq, inArray, like } from 'drizzle-orm';
import { badRequest, conflict, isBrumeError } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { networks, ports, subnets } from '../db/schema/network.ts';
import type { NetworkRequest, NetworkService, ServerPort } from '../services.ts';
import type { NetCtx } from './context.ts';
import { canSeeNetwork, type NetworkRow } from './networks.ts';
import { createPortRecord, deletePortRow, type PortRow, withFixedIps } from './ports.ts';
import { cidrOf } from './subnets.ts';

const COMPUTE_OWNER = 'compute:nova';

async function autoNetwork(ctx: NetCtx, auth: AuthContext): Promise<NetworkRow> {
  const project = auth.project?.id;
  const all = await ctx.db.select().from(networks).orderBy(asc(networks.id));
  const own = all.filter((n) => n.projectId === project && !n.external);
  const candidates = own.length > 0 ? own : all.filter((n) => n.shared);
  if (candidates.length > 1) {
    throw conflict('network.ambiguous', 'Multiple possible networks found, use a Network ID to be more specific.');
  }
  const only = candidates[0];
  if (!only)
    throw badRequest('network.none_available', `Unable to automatically allocate a network for project ${project}`);
  return only;
}

/** Ports of a server as compute shows them. */
async function serverPorts(ctx: NetCtx, rows: PortRow[]): Promise<ServerPort[]> {
  const recs = await withFixedIps(ctx, rows);
  const nets = new Map((await ctx.db.select().from(networks)).map((n) => [n.id, n]));
  const subs = new Map((await ctx.db.select().from(subnets)).map((s) => [s.id, s]));
  return recs.map(({ row, fixedIps }) => ({
    portId: row.id,
    networkId: row.networkId,
    networkName: nets.get(row.networkId)?.name ?? '',
    macAddress: row.macAddress,
    fixedIps: fixedIps.map((f) => {
      const s = subs.get(f.subnetId);
      return {
        ipAddress: f.ipAddress,
        subnetId: f.subnetId,
        version: s?.ipVersion === 6 ? 6 : 4,
        prefixLength: s ? cidrOf(s).prefix : f.ipAddress.includes(':') ? 128 : 32,
        gateway: s?.gatewayIp ?? null,
      };
    }),
    mtu: nets.get(row.networkId)?.mtu,
    subnets: [...new Set(fixedIps.map((f) => f.subnetId))].flatMap((id) => {
      const s = subs.get(id);
      return s
        ? [{ cidr: s.cidr, gateway: s.gatewayIp, dnsNameservers: s.dnsNameservers, hostRoutes: s.hostRoutes }]
        : [];
    }),
  }));
}

/** Nova's messages for what can go wrong while creating a server's ports. */
function asComputeError(err: unknown): unknown {
  if (!isBrumeError(err)) return err;
  if (err.type === 'IpAddressAlreadyAllocated') {
    const ip = /IP address (\S+)/.exec(err.message)?.[1] ?? '';
    return badRequest('network.fixed_ip_in_use', `Fixed IP address ${ip} is already in use.`);
  }
  if (err.type === 'IpAddressGenerationFailure')
    return badRequest('network.no_more_fixed_ips', 'Zero fixed IPs available.');
  return err;
}

/** Builds the service over the module's context. */
export function networkService(ctx: NetCtx): NetworkService {
  const unbind = (id: string, now: number) =>
    ctx.db
      .update(ports)
      .set({ deviceId: '', deviceOwner: '', hostId: '', status: 'DOWN', updatedAt: now })
      .where(eq(ports.id, id));

  return {
    allocateForServer(auth, serverId, request: NetworkRequest, host) {
      return ctx.lock.run(async () => {
        if (request === 'none') return [];
        const wanted = request === 'auto' ? [{ uuid: (await autoNetwork(ctx, auth)).id }] : request;
        const created: string[] = [];
        const bound: string[] = [];
        const result: PortRow[] = [];
        try {
          for (const w of wanted) {
            if (w.port) {
              const row = await ctx.db.select().from(ports).where(eq(ports.id, w.port)).get();
              if (!row || !(isAdmin(auth) || row.projectId === auth.project?.id)) {
                throw badRequest('network.port_not_found', `Port id ${w.port} could not be found.`);
              }
              if (row.deviceId !== '') throw conflict('network.port_in_use', `Port ${w.port} is still in use.`);
              const next = { deviceId: serverId, deviceOwner: COMPUTE_OWNER, hostId: host, status: 'ACTIVE' };
              await ctx.db
                .update(ports)
                .set({ ...next, revision: row.revision + 1, updatedAt: ctx.deps.clock.now() })
                .where(eq(ports.id, row.id));
              bound.push(row.id);
              result.push({ ...row, ...next });
            } else if (w.uuid) {
              const net = await ctx.db.select().from(networks).where(eq(networks.id, w.uuid)).get();
              if (!net || !canSeeNetwork(auth, net)) {
                throw badRequest('network.network_not_found', `Network ${w.uuid} could not be found.`);
              }
              const rec = await createPortRecord(
                ctx,
                auth,
                {
                  network_id: net.id,
                  device_id: serverId,
                  device_owner: COMPUTE_OWNER,
                  ...(w.fixed_ip ? { fixed_ips: [{ ip_address: w.fixed_ip }] } : {}),
                },
                { createdByCompute: true, hostId: host },
              );
              created.push(rec.row.id);
              result.push(rec.row);
            } else {
              throw badRequest('network.request_invalid', 'Bad networks format: a network uuid or a port is required.');
            }
          }
        } catch (err) {
          const now = ctx.deps.clock.now();
          for (const id of created) await deletePortRow(ctx, id);
          for (const id of bound) await unbind(id, now);
          ctx.deps.log.info({ server: serverId, err: String(err) }, 'server port allocation rolled back');
          throw asComputeError(err);
        }
        return serverPorts(ctx, result);
      });
    },

    async portsOfServer(serverId) {
      const rows = await ctx.db
        .select()
        .from(ports)
        .where(and(eq(ports.deviceId, serverId), like(ports.deviceOwner, 'compute:%')))
        .orderBy(asc(ports.createdAt), asc(ports.id));
      return serverPorts(ctx, rows);
    },

    async portsOfServers(serverIds) {
      // One query per chunk instead of one per server: listings of 1,000 servers stay fast.
      const byServer = new Map<string, ServerPort[]>(serverIds.map((id) => [id, []]));
      for (let i = 0; i < serverIds.length; i += 500) {
        const chunk = serverIds.slice(i, i + 500);
        const rows = await ctx.db
          .select()
          .from(ports)
          .where(and(inArray(ports.deviceId, chunk), like(ports.deviceOwner, 'compute:%')))
          .orderBy(asc(ports.createdAt), asc(ports.id));
        if (rows.length === 0) continue;
        const rendered = await serverPorts(ctx, rows);
        rows.forEach((row, j) => {
          const port = rendered[j];
          if (port) byServer.get(row.deviceId)?.push(port);
        });
      }
      return byServer;
    },

    releasePort(serverId, portId) {
      return ctx.lock.run(async () => {
        const row = await ctx.db.select().from(ports).where(eq(ports.id, portId)).get();
        if (!row || row.deviceId !== serverId || !row.deviceOwner.startsWith('compute:')) return false;
        if (row.createdByCompute) await deletePortRow(ctx, row.id);
        else await unbind(row.id, ctx.deps.clock.now());
        return true;
      });
    },

    releaseForServer(serverId) {
      return ctx.lock.run(async () => {
        const rows = await ctx.db
          .select()
          .from(ports)
          .where(and(eq(ports.deviceId, serverId), like(ports.deviceOwner, 'compute:%')));
        const now = ctx.deps.clock.now();
        for (const r of rows) {
          if (r.createdByCompute) await deletePortRow(ctx, r.id);
          else await unbind(r.id, now);
        }
      });
    },
  };
}
