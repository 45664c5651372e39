/**
 * The server lifecycle: builds (claim → ports → spawn, one reschedule on a host failure), power actions and deletes,
 * each run in the background after the API answered 202. Work on one server is serialized; every state change is a
 * guarded transition so concurrent requests cannot interleave. Agent commands carry request ids derived from the
 * row's command counter (`<id>:<op>:<seq>`), so a command resent after a site restart is executed at most once.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { isBrumeError } from '../../../shared/errors.ts';
import type { AgentCommand, InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';
import type { AuthContext } from '../../api/env.ts';
import { computeInstanceActions, computeServerGroups } from '../../db/schema/compute.ts';
import type { ServerPort, SiteDeps } from '../../services.ts';
import type { ComputeServices } from '../services.ts';
import { type ActionSpec, POWER } from './states.ts';
import type { ServerRow, ServerStore } from './store.ts';

/** The lifecycle engine of a site's servers. */
export interface ServerEngine {
  /** Starts building freshly inserted servers (`auth` is the creating caller). */
  startBuild(ids: string[], auth: AuthContext): void;
  /** Runs an action whose guarded transition already set `spec.task`. */
  startAction(row: ServerRow, spec: ActionSpec, requestId: string): void;
  /** Deletes a server whose task was already set to `deleting`. */
  startDelete(row: ServerRow, requestId: string): void;
  /** Records a Nova instance action (os-instance-actions). */
  record(row: ServerRow, action: string, auth: AuthContext, requestId: string, done?: boolean): Promise<void>;
  /** Runs `fn` after every earlier piece of work on server `id`. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** True while background work on `id` is queued or running. */
  busy(id: string): boolean;
  /** Sends one command for a server, allocating the next request id and remembering it until it completes. */
  command<R>(row: ServerRow, command: AgentCommand): Promise<R>;
  /** Resends the command recorded in `row.pendingRequest` with the same request id. */
  resend<R>(row: ServerRow, command: AgentCommand): Promise<R>;
  /** Runs tracked background work on server `id` (serialized with the rest; errors are logged). */
  run(id: string, what: string, fn: () => Promise<void>): void;
  /** The spawn spec of a server, with its current ports. */
  spawnSpec(row: ServerRow): Promise<InstanceSpec>;
  /** Resolves when no background work is left (tests, shutdown). */
  settled(): Promise<void>;
}

/** Synthesizes the creator's identity for work resumed after a restart (the original token is gone). */
export function ownerAuth(row: ServerRow): AuthContext {
  return {
    token: '',
    userId: row.userId,
    userName: row.userId,
    userDomainId: 'default',
    userDomainName: 'Default',
    project: { id: row.projectId, name: row.projectId, domainId: 'default', domainName: 'Default' },
    roles: ['member', 'reader'],
    roleIds: [],
    methods: ['internal'],
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
    auditIds: [],
  };
}

/** Lifetime of the token an agent downloads a server's image with (the download starts at once). */
const IMAGE_TOKEN_TTL_MS = 15 * 60_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Builds the engine. */
export function createServerEngine(deps: SiteDeps, services: ComputeServices, store: ServerStore): ServerEngine {
  const { fleet, network, placement } = services;
  const log = deps.log.child({ module: 'compute' });
  const queues = new Map<string, Promise<unknown>>();
  const inflight = new Set<Promise<unknown>>();

  const exclusive = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const prev = queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    queues.set(id, tail);
    void tail.then(() => {
      if (queues.get(id) === tail) queues.delete(id);
    });
    return run;
  };

  /** Runs background work, never leaking a rejection. */
  const background = (id: string, what: string, fn: () => Promise<void>) => {
    const p = exclusive(id, fn).catch((err: unknown) => log.error({ err, instance: id }, `${what} failed`));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  /** Closes the server's open `create` instance action. */
  const finishCreate = async (id: string, result: 'Success' | 'Error', msg: string | null) => {
    await deps.db.db
      .update(computeInstanceActions)
      .set({ finishTime: deps.clock.now(), result, message: msg })
      .where(
        and(
          eq(computeInstanceActions.serverId, id),
          eq(computeInstanceActions.action, 'create'),
          isNull(computeInstanceActions.finishTime),
        ),
      );
  };

  const fail = async (id: string, code: number, msg: string, details = '') => {
    await finishCreate(id, 'Error', msg);
    await store.update(id, {
      vmState: 'error',
      taskState: null,
      powerState: POWER.nostate,
      pendingRequest: null,
      fault: { code, message: msg, details, created: deps.clock.now() },
      updatedAt: deps.clock.now(),
    });
  };

  const command = async <R>(row: ServerRow, cmd: AgentCommand): Promise<R> => {
    if (!row.host) throw new Error(`server ${row.id} has no host`);
    const seq = row.commandSeq + 1;
    const requestId = `${row.id}:${cmd.op}:${seq}`;
    await store.update(row.id, { commandSeq: seq, pendingRequest: requestId });
    return fleet.send<R>(row.host, cmd, { requestId });
  };

  const resend = async <R>(row: ServerRow, cmd: AgentCommand): Promise<R> => {
    if (!row.host) throw new Error(`server ${row.id} has no host`);
    const requestId = row.pendingRequest ?? `${row.id}:${cmd.op}:${row.commandSeq}`;
    return fleet.send<R>(row.host, cmd, { requestId });
  };

  /** A token for the agent to download the image, as the server's creator (absent when it cannot be had). */
  const imageToken = async (row: ServerRow): Promise<string | undefined> => {
    if (!row.imageId || !services.identity.issueDelegatedToken) return undefined;
    try {
      return await services.identity.issueDelegatedToken({
        userId: row.userId,
        projectId: row.projectId,
        ttlMs: IMAGE_TOKEN_TTL_MS,
      });
    } catch (err) {
      log.warn({ instance: row.id, err: message(err) }, 'no image download token for the agent');
      return undefined;
    }
  };

  const spec = async (row: ServerRow, ports: ServerPort[]): Promise<InstanceSpec> => {
    const image = row.imageId ? deps.catalog.get('images', row.imageId) : undefined;
    const token = await imageToken(row);
    // Boot from volume: waits for the root volume (a copy of an image may still be under way).
    const disks = await services.volume?.bootDisks?.(row.id, row.host);
    return {
      id: row.id,
      name: row.name,
      hostname:
        row.name
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 63) || 'server',
      projectId: row.projectId,
      vcpus: row.flavor.vcpus,
      memoryMiB: row.flavor.ram,
      diskGiB: row.flavor.disk,
      image:
        row.imageId === null
          ? null
          : {
              id: row.imageId,
              diskFormat: image?.disk_format ?? null,
              size: image?.size ?? null,
              hash: image?.os_hash_value ?? null,
              url: services.image.fileUrl(row.imageId),
              ...(token ? { token } : {}),
            },
      ports: ports.map((p) => ({
        id: p.portId,
        networkId: p.networkId,
        mac: p.macAddress,
        ips: p.fixedIps.map((ip) => `${ip.ipAddress}/${ip.prefixLength}`),
        gateway: p.fixedIps.find((ip) => ip.gateway)?.gateway ?? null,
        ...(p.mtu ? { mtu: p.mtu } : {}),
        ...(p.subnets?.length ? { subnets: p.subnets } : {}),
      })),
      userData: row.userData,
      publicKeys: row.keyName && row.keyData ? { [row.keyName]: row.keyData } : {},
      metadata: row.metadata,
      ...(row.availabilityZone ? { availabilityZone: row.availabilityZone } : {}),
      configDrive: row.configDrive,
      ...(disks?.root ? { rootVolume: disks.root } : {}),
      ...(disks?.others.length ? { volumes: disks.others } : {}),
    };
  };

  const groupOf = async (row: ServerRow) => {
    const groups = await deps.db.db.select().from(computeServerGroups);
    const g = groups.find((x) => x.members.includes(row.id));
    if (!g) return undefined;
    const hosts: string[] = [];
    for (const m of g.members) {
      if (m === row.id) continue;
      const r = await store.get(m);
      if (r?.host && !r.deletedAt) hosts.push(r.host);
    }
    return {
      policy: g.policy as 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity',
      memberHosts: hosts,
    };
  };

  /** One build attempt; returns 'retry' when the spawn failed on the chosen host. */
  const attempt = async (id: string, auth: AuthContext, last: boolean): Promise<'done' | 'retry'> => {
    const row = await store.get(id);
    if (!row || row.deletedAt || row.vmState !== 'building' || row.taskState !== 'scheduling') return 'done';
    let host: string;
    try {
      const group = await groupOf(row);
      const claim = await placement.claim({
        consumerId: id,
        projectId: row.projectId,
        vcpus: row.flavor.vcpus,
        memoryMiB: row.flavor.ram,
        diskGiB: row.flavor.disk + row.flavor.ephemeral,
        ...(row.availabilityZone ? { availabilityZone: row.availabilityZone } : {}),
        ...(row.forcedHost ? { forceHost: row.forcedHost } : {}),
        ...(row.triedHosts.length > 0 ? { ignoreHosts: row.triedHosts } : {}),
        ...(group ? { group } : {}),
        imageProperties: (row.imageId && deps.catalog.get('images', row.imageId)?.properties) || {},
      });
      host = claim.host;
    } catch (err) {
      const msg = message(err);
      const text = msg.startsWith('No valid host was found.') ? msg : `No valid host was found. ${msg}`.trim();
      await fail(id, 500, text, isBrumeError(err) ? err.code : '');
      return 'done';
    }
    const routed = await store.transition(
      id,
      { vmStates: ['building'], taskStates: ['scheduling'] },
      { host, taskState: 'networking', updatedAt: deps.clock.now() },
    );
    if (!routed) {
      await placement.release(id);
      return 'done';
    }
    let ports: ServerPort[];
    try {
      ports = await network.allocateForServer(auth, id, routed.networks as never, host);
    } catch (err) {
      await network.releaseForServer(id);
      await placement.release(id);
      const code = isBrumeError(err) && err.kind !== 'internal' && err.kind !== 'unavailable' ? 400 : 500;
      await fail(id, code, `Build of instance ${id} aborted: ${message(err)}`);
      await store.update(id, { host: null });
      return 'done';
    }
    const seq = routed.commandSeq + 1;
    const requestId = `${id}:spawn:${seq}`;
    const spawning = await store.transition(
      id,
      { vmStates: ['building'], taskStates: ['networking'] },
      { taskState: 'spawning', commandSeq: seq, pendingRequest: requestId, updatedAt: deps.clock.now() },
    );
    if (!spawning) return 'done';
    try {
      await fleet.send(host, { op: 'spawn', spec: await spec(spawning, ports) }, { requestId });
    } catch (err) {
      const now = await store.get(id);
      if (!now || now.deletedAt || now.taskState !== 'spawning') return 'done';
      log.warn({ err, instance: id, host }, 'spawn failed');
      await network.releaseForServer(id);
      await placement.release(id);
      const tried = [...now.triedHosts, host];
      if (!last) {
        await store.update(id, { taskState: 'scheduling', host: null, triedHosts: tried, pendingRequest: null });
        return 'retry';
      }
      await fail(
        id,
        500,
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${id}.`,
        message(err),
      );
      await store.update(id, { host: null, triedHosts: tried });
      return 'done';
    }
    await finishBuild(id);
    return 'done';
  };

  const finishBuild = async (id: string) => {
    const t = deps.clock.now();
    await store.transition(
      id,
      { vmStates: ['building'], taskStates: ['spawning'] },
      {
        vmState: 'active',
        taskState: null,
        powerState: POWER.running,
        pendingRequest: null,
        launchedAt: t,
        updatedAt: t,
      },
    );
    await finishCreate(id, 'Success', null);
  };

  const build = async (id: string, auth: AuthContext) => {
    if ((await attempt(id, auth, false)) === 'retry') await attempt(id, auth, true);
  };

  const finishAction = async (id: string, requestId: string, result: 'Success' | 'Error', msg: string | null) => {
    await deps.db.db
      .update(computeInstanceActions)
      .set({ finishTime: deps.clock.now(), result, message: msg })
      .where(eq(computeInstanceActions.id, `${id}:${requestId}`));
  };

  const engine: ServerEngine = {
    exclusive,
    run: background,
    spawnSpec: async (row) => spec(row, await network.portsOfServer(row.id)),
    busy: (id) => queues.has(id),
    command,
    resend,
    startBuild(ids, auth) {
      for (const id of ids) background(id, 'build', () => build(id, auth));
    },
    startAction(row, s, requestId) {
      background(row.id, s.name, async () => {
        const cur = await store.get(row.id);
        if (!cur || cur.deletedAt || cur.taskState !== s.task) return;
        try {
          if (cur.host) {
            const cmd: AgentCommand =
              s.op === 'reboot'
                ? { op: 'reboot', instanceId: cur.id, hard: s.hard === true }
                : { op: s.op, instanceId: cur.id };
            await command(cur, cmd);
          } else if (s.op !== 'stop') {
            throw new Error(`Instance ${cur.id} has no host`);
          }
          await store.transition(
            cur.id,
            { taskStates: [s.task] },
            {
              vmState: s.done.vmState,
              powerState: POWER[s.done.power],
              taskState: null,
              pendingRequest: null,
              updatedAt: deps.clock.now(),
            },
          );
          await finishAction(cur.id, requestId, 'Success', null);
        } catch (err) {
          log.warn({ err, instance: cur.id, action: s.name }, 'action failed');
          await store.transition(cur.id, { taskStates: [s.task] }, { taskState: null, pendingRequest: null });
          await finishAction(cur.id, requestId, 'Error', message(err));
        }
      });
    },
    startDelete(row, requestId) {
      background(row.id, 'delete', async () => {
        const cur = await store.get(row.id);
        if (!cur || cur.deletedAt) return;
        if (cur.host) {
          try {
            await command(cur, { op: 'destroy', instanceId: cur.id });
          } catch (err) {
            // Local delete: the agent is unreachable; its VM is reaped when it reports its inventory again.
            log.warn({ err, instance: cur.id, host: cur.host }, 'destroy failed; deleting locally');
          }
        }
        await network.releaseForServer(cur.id);
        // The VM is gone (or its host is): volumes are free again, delete_on_termination ones deleted.
        await services.volume?.releaseServer?.(cur.id);
        await placement.release(cur.id);
        const t = deps.clock.now();
        await store.update(cur.id, {
          vmState: 'deleted',
          taskState: null,
          powerState: POWER.nostate,
          pendingRequest: null,
          deletedAt: t,
          terminatedAt: t,
          updatedAt: t,
        });
        await finishAction(cur.id, requestId, 'Success', null);
      });
    },
    async record(row, action, auth, requestId, done = false) {
      const t = deps.clock.now();
      await deps.db.db
        .insert(computeInstanceActions)
        .values({
          id: `${row.id}:${requestId}`,
          requestId,
          serverId: row.id,
          action,
          userId: auth.userId,
          projectId: auth.project?.id ?? row.projectId,
          startTime: t,
          finishTime: done ? t : null,
          result: done ? 'Success' : null,
          message: null,
        })
        .onConflictDoNothing();
    },
    async settled() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
  };
  return engine;
}
