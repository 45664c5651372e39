/**
 * Nova's os-interface: hot-plugging a port into a server and out again. Attach creates (net_id) or binds (port_id) a
 * Neutron port through the NetworkService (which also resyncs security-group policies), then sends `plug_port` to
 * the server's agent; detach sends `unplug_port`, then deletes the port if Nova created it, else unbinds it. Both
 * run serialized with the server's other work and use the engine's request ids (a resent command runs once).
 * Stopped servers take them too: the drivers record the NIC and it appears at the next start.
 */
import { BrumeError, conflict, isBrumeError, notFound } from '../../../shared/errors.ts';
import type { InstancePort } from '../../../shared/schemas/agent-protocol.ts';
import type { AuthContext } from '../../api/env.ts';
import type { ServerPort } from '../../services.ts';
import type { ComputeContext } from '../context.ts';
import type { ServerRow } from './store.ts';

/** vm_states in which Nova attaches and detaches interfaces. */
const PLUGGABLE = ['active', 'stopped', 'paused', 'suspended'];

/** What to attach: an existing port, or a new port on a network (optionally with a fixed address). */
export type InterfaceRequest = { portId: string } | { networkId: string; fixedIp?: string };

/** The agent's view of a port (as spawn builds it). */
export function instancePort(p: ServerPort): InstancePort {
  return {
    id: p.portId,
    networkId: p.networkId,
    mac: p.macAddress,
    ips: p.fixedIps.map((ip) => `${ip.ipAddress}/${ip.prefixLength}`),
    gateway: p.fixedIps.find((ip) => ip.gateway)?.gateway ?? null,
    ...(p.mtu ? { mtu: p.mtu } : {}),
    ...(p.subnets?.length ? { subnets: p.subnets } : {}),
  };
}

function assertPluggable(row: ServerRow, op: 'attach_interface' | 'detach_interface'): string {
  if (!PLUGGABLE.includes(row.vmState) || row.taskState || !row.host) {
    throw conflict(
      'compute.instance_invalid_state',
      `Cannot '${op}' instance ${row.id} while it is in vm_state ${row.vmState}`,
    );
  }
  return row.host;
}

async function liveServer(ctx: ComputeContext, id: string): Promise<ServerRow> {
  const row = await ctx.store.get(id);
  if (!row || row.deletedAt) throw notFound('compute.instance_not_found', `Instance ${id} could not be found.`);
  return row;
}

/** Nova's status codes for the network's refusals (its messages are kept). */
function asInterfaceError(err: unknown): unknown {
  if (!isBrumeError(err)) return err;
  if (err.code === 'network.port_not_found' || err.code === 'network.network_not_found') {
    return notFound(err.code, err.message);
  }
  if (err.code === 'network.fixed_ip_in_use') return conflict(err.code, err.message);
  return err;
}

/** Attaches an interface; resolves with the bound port once the agent plugged it. */
export async function attachInterface(
  ctx: ComputeContext,
  auth: AuthContext,
  serverId: string,
  req: InterfaceRequest,
): Promise<ServerPort> {
  const { network } = ctx.services;
  // Checked at once (a server busy with another task is a 409 now), and again when its turn has come.
  assertPluggable(await liveServer(ctx, serverId), 'attach_interface');
  return ctx.engine.exclusive(serverId, async () => {
    const row = await liveServer(ctx, serverId);
    const host = assertPluggable(row, 'attach_interface');
    const wanted =
      'portId' in req
        ? { port: req.portId }
        : { uuid: req.networkId, ...(req.fixedIp ? { fixed_ip: req.fixedIp } : {}) };
    let port: ServerPort | undefined;
    try {
      [port] = await network.allocateForServer(auth, serverId, [wanted], host);
    } catch (err) {
      throw asInterfaceError(err);
    }
    if (!port) throw new BrumeError('internal', 'compute.interface_attach_failed', 'No port was bound.');
    try {
      await ctx.engine.command(row, { op: 'plug_port', instanceId: row.id, port: instancePort(port) });
    } catch (err) {
      ctx.deps.log.warn({ err, instance: row.id, port: port.portId }, 'plug_port failed; releasing the port');
      await network.releasePort?.(serverId, port.portId);
      throw new BrumeError(
        'conflict',
        'compute.interface_attach_failed',
        `Failed to attach network adapter device to ${row.id}`,
        {
          type: 'InterfaceAttachFailed',
        },
      );
    } finally {
      await ctx.store.update(row.id, { pendingRequest: null });
    }
    return port;
  });
}

/** Detaches interface `portId` (404 when the server has no such port). */
export async function detachInterface(ctx: ComputeContext, serverId: string, portId: string): Promise<void> {
  const { network } = ctx.services;
  const attached = async () => (await network.portsOfServer(serverId)).some((p) => p.portId === portId);
  if (await attached()) assertPluggable(await liveServer(ctx, serverId), 'detach_interface');
  return ctx.engine.exclusive(serverId, async () => {
    const row = await liveServer(ctx, serverId);
    if (!(await attached())) {
      throw notFound('compute.port_not_found', `Port ${portId} is not attached`);
    }
    assertPluggable(row, 'detach_interface');
    try {
      await ctx.engine.command(row, { op: 'unplug_port', instanceId: row.id, portId });
    } finally {
      await ctx.store.update(row.id, { pendingRequest: null });
    }
    if (network.releasePort) await network.releasePort(serverId, portId);
    else throw new BrumeError('conflict', 'compute.detach_not_supported', 'Detaching interfaces is not supported.');
  });
}
