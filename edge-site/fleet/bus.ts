import { mqttAgentBus } from '../../shared/agent-bus-mqtt.ts';
import { BrumeError } from '../../shared/errors.ts';
import type { AgentBus, BusClient } from '../../shared/ports/agent-bus.ts';
import type {
  AgentCommand,
  AgentEvent,
  AgentStatus,
  CommandEnvelope,
  InstanceInfo,
  ReplyEnvelope,
} from '../../shared/schemas/agent-protocol.ts';
import { topics } from '../../shared/schemas/agent-protocol.ts';
import type { Fleet, FleetEvent, HostState, SiteDeps } from '../services.ts';
import type { FleetMetrics } from './metrics.ts';
import type { HostRegistry } from './registry.ts';

/** The fleet over MQTT, with its lifecycle. */
export interface FleetBus extends Fleet {
  close(): Promise<void>;
}

interface Pending {
  host: string;
  op: string;
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
  cancelTimer(): void;
}

const hostDown = (host: string) =>
  new BrumeError('unavailable', 'fleet.host_down', `Host ${host} is not reachable (its agent is down).`);

const decoder = new TextDecoder();

/**
 * Connects the site to its agents' broker: tracks hosts from status/heartbeats, sends commands and matches replies
 * by request id, and turns agent events into {@link FleetEvent}s. `bus` defaults to mqtt.js.
 */
export async function connectFleet(
  deps: SiteDeps,
  registry: HostRegistry,
  url: string,
  metrics: FleetMetrics,
  bus: AgentBus = mqttAgentBus,
): Promise<FleetBus> {
  const { config, clock } = deps;
  const log = deps.log.child({ module: 'fleet' });
  const listeners = new Set<(e: FleetEvent) => void>();
  const pending = new Map<string, Pending>();
  const prefix = `brume/v1/${config.site}/agents/`;

  const emit = (event: FleetEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch (err) {
        log.error({ err: String(err), event: event.type }, 'fleet listener failed');
      }
    }
  };
  const hostEvent = (host: HostState | null) => {
    if (host) emit({ type: 'host', host });
  };

  const client: BusClient = bus.connect({
    url,
    clientId: `brume-site-${config.site}`,
    clean: false,
    ...(config.mqtt.username ? { username: config.mqtt.username, password: config.mqtt.password } : {}),
  });
  client.onError((err) => log.warn({ err: err.message }, 'mqtt error'));

  const send = async <R>(
    hostId: string,
    command: AgentCommand,
    opts: { requestId?: string; timeoutMs?: number } = {},
  ): Promise<R> => {
    const h = registry.get(hostId);
    if (h?.state !== 'up') throw hostDown(hostId);
    const requestId = opts.requestId ?? deps.ids.uuid();
    const existing = pending.get(requestId);
    if (existing) return existing.promise as Promise<R>;
    const timeoutMs = opts.timeoutMs ?? config.agents.commandTimeoutSeconds * 1000;
    const entry = { host: hostId, op: command.op } as Pending;
    entry.promise = new Promise<unknown>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    entry.cancelTimer = clock.every(timeoutMs, () => {
      entry.cancelTimer();
      if (pending.get(requestId) !== entry) return;
      pending.delete(requestId);
      metrics.commandsTimedOut.inc({ op: command.op });
      entry.reject(
        new BrumeError(
          'timeout',
          'fleet.command_timeout',
          `Host ${hostId} did not answer ${command.op} in ${timeoutMs} ms.`,
          {
            details: { requestId, host: hostId },
          },
        ),
      );
    });
    pending.set(requestId, entry);
    const envelope: CommandEnvelope = { v: 1, requestId, command, sentAt: clock.now() };
    metrics.commandsSent.inc({ op: command.op });
    log.debug({ host: hostId, request: requestId, op: command.op }, 'command sent');
    client.publish(topics.cmd(config.site, hostId), JSON.stringify(envelope), { qos: 1 }).catch((err: unknown) => {
      log.warn({ err: String(err), request: requestId }, 'command publish failed');
    });
    return entry.promise as Promise<R>;
  };

  /** After an agent (re)appears: ask for every VM it has, so compute can reconcile. */
  const reconcile = (host: string) => {
    send<InstanceInfo[]>(host, { op: 'list' }).then(
      (instances) => emit({ type: 'inventory', host, instances }),
      (err: unknown) => log.warn({ host, err: String(err) }, 'cannot list instances of a reconnected agent'),
    );
  };

  const onStatus = async (host: string, status: AgentStatus) => {
    if (status.host !== host) return;
    if (status.state === 'offline') {
      const known = registry.get(host);
      // A late will from an earlier incarnation must not mark a restarted agent down.
      if (known && status.bootId && known.bootId && status.bootId !== known.bootId) return;
      const down = await registry.down(host);
      if (down) log.info({ host }, 'agent offline');
      hostEvent(down);
      return;
    }
    const change = await registry.online(status);
    if (!change) return;
    if (change.cameUp || change.rebooted) {
      log.info({ host, bootId: status.bootId, rebooted: change.rebooted }, 'agent online');
      hostEvent(change.host);
      reconcile(host);
    }
  };

  const onEvent = async (host: string, event: AgentEvent) => {
    if (event.type === 'heartbeat') {
      const back = await registry.seen(host);
      if (back) {
        hostEvent(back);
        reconcile(host);
      }
      return;
    }
    if (event.type === 'instance') {
      await registry.seen(host);
      emit({ type: 'instance', host, instance: event.instance, deleted: event.deleted ?? false });
    }
  };

  const onReply = (host: string, reply: ReplyEnvelope) => {
    const p = pending.get(reply.requestId);
    if (!p || p.host !== host) return;
    pending.delete(reply.requestId);
    p.cancelTimer();
    if (reply.ok) p.resolve(reply.result);
    else {
      metrics.commandsFailed.inc({ op: p.op, code: reply.error.code });
      p.reject(BrumeError.fromWire(reply.error));
    }
  };

  client.onMessage((topic, payload) => {
    if (!topic.startsWith(prefix)) return;
    const [host, kind] = topic.slice(prefix.length).split('/');
    if (!host || !kind || payload.length === 0) return;
    let msg: unknown;
    try {
      msg = JSON.parse(decoder.decode(payload));
    } catch {
      log.warn({ topic }, 'dropping a message that is not JSON');
      return;
    }
    const work =
      kind === 'status'
        ? onStatus(host, msg as AgentStatus)
        : kind === 'events'
          ? onEvent(host, msg as AgentEvent)
          : kind === 'reply'
            ? Promise.resolve(onReply(host, msg as ReplyEnvelope))
            : Promise.resolve();
    work.catch((err: unknown) => log.error({ err: String(err), topic }, 'cannot handle agent message'));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const offs = [
        client.onConnect(() => {
          for (const off of offs) off();
          resolve();
        }),
        client.onError((err) => {
          for (const off of offs) off();
          reject(err);
        }),
      ];
    });
  } catch (err) {
    void client.kill();
    throw new BrumeError('unavailable', 'fleet.broker_unreachable', `Cannot connect to the MQTT broker at ${url}.`, {
      cause: err,
    });
  }
  await client.subscribe({
    [topics.allStatus(config.site)]: 1,
    [topics.allEvents(config.site)]: 1,
    [topics.allReplies(config.site)]: 1,
  });
  log.info({ url }, 'connected to the agent bus');

  const deadMs = config.agents.deadAfterSeconds * 1000;
  const stopWatch = clock.every(Math.min(1000, deadMs), () => {
    const now = clock.now();
    for (const h of registry.all()) {
      if (h.state === 'up' && now - h.lastSeen > deadMs) {
        log.warn({ host: h.id, silentMs: now - h.lastSeen }, 'agent silent too long: marking its host down');
        registry.down(h.id).then(hostEvent, (err: unknown) => log.error({ err: String(err) }, 'cannot mark host down'));
      }
    }
  });

  return {
    hosts: () => registry.all(),
    host: (id) => registry.get(id),
    async setEnabled(id, enabled, reason = null) {
      const h = await registry.setEnabled(id, enabled, reason);
      hostEvent(h);
      return h;
    },
    send,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      stopWatch();
      for (const [id, p] of pending) {
        pending.delete(id);
        p.cancelTimer();
        p.reject(new BrumeError('unavailable', 'fleet.stopping', 'The site is stopping.'));
      }
      await client.end();
      await registry.flush();
    },
  };
}
