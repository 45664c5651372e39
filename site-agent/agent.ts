import { join } from 'node:path';
import { mqttAgentBus } from '../shared/agent-bus-mqtt.ts';
import type { AgentConfig } from '../shared/config.ts';
import { badRequest } from '../shared/errors.ts';
import type { AgentBus, BusClient } from '../shared/ports/agent-bus.ts';
import type { Clock } from '../shared/ports/clock.ts';
import type { HypervisorDriver } from '../shared/ports/hypervisor.ts';
import { type IdSource, systemIds } from '../shared/ports/ids.ts';
import type { Logger } from '../shared/ports/logger.ts';
import {
  type AgentEvent,
  type AgentStatus,
  type CommandEnvelope,
  type InstanceInfo,
  type ReplyEnvelope,
  topics,
} from '../shared/schemas/agent-protocol.ts';
import { asBrumeError, type Effect, execute, instanceKey } from './execute.ts';
import { openRequestLog, type RequestLog } from './request-log.ts';

/** What an agent is built from. The driver belongs to the caller (the agent never closes it). */
export interface AgentOptions {
  config: AgentConfig;
  driver: HypervisorDriver;
  clock: Clock;
  log: Logger;
  /** Source of the boot id; default the system's. */
  ids?: IdSource;
  /** Executed request ids kept for idempotence (default 10,000). */
  requestLogLimit?: number;
  /** Keep the request record in memory only (tests that do not restart the agent). */
  ephemeral?: boolean;
  /** The bus to the site (default mqtt.js to `config.mqttUrl`; the sim passes its in-process one). */
  bus?: AgentBus;
}

/** A running site agent. */
export interface Agent {
  /** Changes at every start: the site reconciles an agent whose boot id changed. */
  readonly bootId: string;
  /** Recovers the driver's VMs, connects, announces itself online and starts heartbeating. */
  start(): Promise<void>;
  /**
   * Graceful: publishes `offline`, disconnects. Commands still executing are not awaited (a hung driver must not
   * block shutdown); unrecorded, they run again if redelivered, which the driver's idempotence absorbs.
   */
  stop(): Promise<void>;
  /** Vanishes without a goodbye (a crash): the broker publishes the last will. */
  kill(): Promise<void>;
  /** Polls the driver now: publishes instance changes and a heartbeat (also runs every heartbeatSeconds). */
  heartbeat(): Promise<void>;
}

const decoder = new TextDecoder();

/** The agent side of the site <-> agent bus (shared/schemas/agent-protocol.ts). */
export function createAgent(options: AgentOptions): Agent {
  const { config, driver, clock } = options;
  const ids = options.ids ?? systemIds(() => clock.now());
  const bootId = ids.uuid();
  const log = options.log.child({ site: config.site, host: config.host });
  const t = {
    status: topics.status(config.site, config.host),
    events: topics.events(config.site, config.host),
    cmd: topics.cmd(config.site, config.host),
    reply: topics.reply(config.site, config.host),
  };
  const record: RequestLog = openRequestLog(
    options.ephemeral ? null : join(config.dataDir, 'requests.jsonl'),
    options.requestLogLimit,
  );
  const inflight = new Map<string, Promise<ReplyEnvelope>>();
  const chains = new Map<string, Promise<unknown>>();
  const known = new Map<string, InstanceInfo['powerState']>();
  let client: BusClient | undefined;
  let stopBeat: (() => void) | undefined;

  const publish = (topic: string, payload: unknown, retain = false) => {
    client?.publish(topic, JSON.stringify(payload), { qos: 1, retain }).catch((err: unknown) => {
      log.warn({ err: String(err), topic }, 'publish failed');
    });
  };
  const status = (state: AgentStatus['state'], extra: Partial<AgentStatus> = {}): AgentStatus => ({
    v: 1,
    host: config.host,
    state,
    bootId,
    at: clock.now(),
    ...extra,
  });
  const emit = (effect: Effect) => {
    if (!effect) return;
    const event: AgentEvent = effect.deleted
      ? {
          v: 1,
          type: 'instance',
          host: config.host,
          at: clock.now(),
          instance: { id: effect.instanceId, powerState: 'nostate', observedAt: clock.now() },
          deleted: true,
        }
      : { v: 1, type: 'instance', host: config.host, at: clock.now(), instance: effect.instance };
    if (effect.deleted) known.delete(effect.instanceId);
    else known.set(effect.instance.id, effect.instance.powerState);
    publish(t.events, event);
  };
  /** Runs `fn` after every earlier command on the same instance (spawn then stop never race). */
  const serialized = <T>(key: string | null, fn: () => Promise<T>): Promise<T> => {
    if (key === null) return fn();
    const prev = chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    chains.set(key, tail);
    void tail.then(() => {
      if (chains.get(key) === tail) chains.delete(key);
    });
    return next;
  };

  const run = async (env: CommandEnvelope): Promise<ReplyEnvelope> => {
    const clog = log.child({ request: env.requestId, op: env.command.op });
    try {
      const { result, effect } = await serialized(instanceKey(env.command), () => execute(driver, env.command));
      emit(effect);
      clog.debug('command done');
      return { v: 1, requestId: env.requestId, ok: true, result };
    } catch (err) {
      const e = asBrumeError(err);
      clog.info({ code: e.code }, 'command failed');
      return { v: 1, requestId: env.requestId, ok: false, error: e.toWire() };
    }
  };

  const onCommand = (payload: Uint8Array) => {
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(payload));
    } catch {
      log.warn('dropping a command that is not JSON');
      return;
    }
    const env = raw as Partial<CommandEnvelope> | null;
    if (typeof env?.requestId !== 'string' || typeof env.command?.op !== 'string') {
      log.warn('dropping a malformed command');
      if (typeof env?.requestId === 'string') {
        const e = badRequest('agent.malformed_command', 'Malformed command envelope.');
        publish(t.reply, { v: 1, requestId: env.requestId, ok: false, error: e.toWire() } satisfies ReplyEnvelope);
      }
      return;
    }
    handle(env as CommandEnvelope);
  };

  const handle = (env: CommandEnvelope) => {
    const done = record.get(env.requestId);
    if (done) {
      log.debug({ request: env.requestId }, 'duplicate command answered from the record');
      publish(t.reply, done);
      return;
    }
    let p = inflight.get(env.requestId);
    if (!p) {
      p = run(env).then((reply) => {
        record.put(reply);
        inflight.delete(env.requestId);
        return reply;
      });
      inflight.set(env.requestId, p);
    }
    void p.then((reply) => publish(t.reply, reply));
  };

  const heartbeat = async () => {
    let instances: InstanceInfo[];
    try {
      instances = await driver.list();
    } catch (err) {
      log.warn({ err: String(err) }, 'driver list failed');
      return;
    }
    const seen = new Set<string>();
    for (const i of instances) {
      seen.add(i.id);
      if (known.get(i.id) !== i.powerState && !inflightOn(i.id)) emit({ instance: i, deleted: false });
    }
    for (const id of [...known.keys()]) if (!seen.has(id) && !inflightOn(id)) emit({ instanceId: id, deleted: true });
    publish(t.events, { v: 1, type: 'heartbeat', host: config.host, at: clock.now(), instances } satisfies AgentEvent);
  };
  const inflightOn = (id: string) => chains.has(id);

  return {
    bootId,
    heartbeat,
    async start() {
      const recovered = await driver.recover();
      for (const i of recovered) known.set(i.id, i.powerState);
      const storage = await driver.volumeStorage?.capacity().catch((err: unknown) => {
        log.warn({ err: String(err) }, 'volume storage unavailable');
        return undefined;
      });
      const inventory = { ...(await driver.inventory()), ...(storage ? { volumeStorage: storage } : {}) };
      const online = () => status('online', { inventory, availabilityZone: config.availabilityZone });
      const c = (options.bus ?? mqttAgentBus).connect({
        url: config.mqttUrl,
        clientId: `brume-agent-${config.site}-${config.host}`,
        clean: false,
        ...(config.mqttUsername ? { username: config.mqttUsername, password: config.mqttPassword } : {}),
        will: { topic: t.status, payload: JSON.stringify(status('offline')), qos: 1, retain: true },
      });
      client = c;
      c.onMessage((topic, payload) => {
        if (topic === t.cmd) onCommand(payload);
      });
      c.onError((err) => log.warn({ err: err.message }, 'mqtt error'));
      let up = false;
      c.onClose(() => {
        // Once per lost connection, not at every failed reconnect attempt.
        if (up) log.info('disconnected from the site broker');
        up = false;
      });
      const connected = new Promise<void>((resolve) => {
        const off = c.onConnect(() => {
          off();
          resolve();
        });
      });
      c.onConnect((sessionPresent) => {
        up = true;
        log.info({ sessionPresent, bootId }, 'connected to the site broker');
        if (!sessionPresent) {
          c.subscribe({ [t.cmd]: 1 }).catch((err: unknown) => {
            log.error({ err: String(err) }, 'cannot subscribe to commands');
          });
        }
        publish(t.status, online(), true);
      });
      await connected;
      stopBeat = clock.every(config.heartbeatSeconds * 1000, () => void heartbeat());
    },
    async stop() {
      stopBeat?.();
      const c = client;
      client = undefined;
      if (!c) return;
      if (c.connected) {
        // The broker may be going away too: never wait for an ack from a connection that closes.
        const closed = new Promise<void>((resolve) => {
          const off = c.onClose(() => {
            off();
            resolve();
          });
        });
        const bye = c.publish(t.status, JSON.stringify(status('offline')), { qos: 1, retain: true });
        await Promise.race([bye.catch(() => {}), closed]);
        if (c.connected) await Promise.race([c.end(), closed]);
      }
      // Also stops the reconnect loop when there was no broker to say goodbye to.
      await c.kill();
      log.info('agent stopped');
    },
    async kill() {
      stopBeat?.();
      const c = client;
      client = undefined;
      if (c) await c.kill();
    },
  };
}
