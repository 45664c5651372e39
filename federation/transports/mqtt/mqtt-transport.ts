/**
 * The MQTT transport: every site is a client of one shared broker.
 * - direct messages: QoS 1 publishes to `<prefix>/<peer>/inbox`, which the peer subscribes to with a persistent
 *   session (clientId `brume-fed-<site>`, clean: false); MQTT keeps per-topic order from one publisher;
 * - announcements: QoS 0 publishes to `<prefix>/announce` (our own echoes are dropped);
 * - liveness: a retained `<prefix>/<site>/presence` message `{status: 'up', session}` and a last will `'down'` for the
 *   same session; a `down` of an older session (a will fired by a session takeover) is ignored, and a site that
 *   sees its own presence overwritten republishes it.
 * Payloads of inbox and announce messages carry the sender: a length byte, the sender's site id, the data.
 */
import { createConnection } from 'node:net';
import { connect, type IClientOptions, MqttClient } from 'mqtt';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import {
  MAX_ANNOUNCE_BYTES,
  MAX_MESSAGE_BYTES,
  type PeerEvent,
  type TransportMessage,
} from '../../../shared/ports/transport.ts';
import type { StatsTransport } from '../stats.ts';

/** Options of {@link createMqttTransport}. */
export interface MqttTransportOptions {
  siteId: string;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  clock: Clock;
  log: Logger;
  /** Topic prefix (default `brume/fed/v1`). */
  prefix?: string;
  /** MQTT keepalive in seconds: a vanished site is declared down after about 1.5x this (default 10). */
  keepaliveSec?: number;
  /** Delay between reconnection attempts to the broker (default 1000 ms). */
  reconnectMs?: number;
  /**
   * Resolve at once and keep connecting in the background (a site must start while its broker is down). By
   * default the promise resolves once connected and subscribed, and rejects (`transport.broker_unreachable`) if
   * the first connection fails.
   */
  background?: boolean;
}

interface Presence {
  status: 'up' | 'down';
  session: string;
}

/** Sessions started by this process (part of the session id, so two starts in one millisecond differ). */
let sessions = 0;

const unavailable = (code: string, message: string) =>
  new BrumeError('unavailable', code, message, { retryable: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `[len][sender][data]` */
function envelope(from: string, data: Uint8Array): Buffer {
  const name = encoder.encode(from);
  const out = Buffer.allocUnsafe(1 + name.byteLength + data.byteLength);
  out[0] = name.byteLength;
  out.set(name, 1);
  out.set(data, 1 + name.byteLength);
  return out;
}
function unwrap(payload: Buffer): { from: string; data: Uint8Array } | undefined {
  const n = payload[0];
  if (n === undefined || payload.byteLength < 1 + n) return undefined;
  return { from: decoder.decode(payload.subarray(1, 1 + n)), data: new Uint8Array(payload.subarray(1 + n)) };
}
function parsePresence(payload: Buffer): Presence | undefined {
  if (payload.byteLength === 0) return undefined;
  try {
    const v = JSON.parse(payload.toString('utf8')) as Partial<Presence>;
    if ((v.status === 'up' || v.status === 'down') && typeof v.session === 'string') {
      return { status: v.status, session: v.session };
    }
  } catch {}
  return undefined;
}

/**
 * A client over a TCP socket with Nagle's algorithm off for `mqtt://` URLs (mqtt.js leaves it on: sync round trips
 * then wait ~40 ms on delayed ACKs); undefined for other schemes, which `connect` handles.
 */
function plainTcpClient(url: string, clientOptions: IClientOptions): MqttClient | undefined {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 1883);
  const auth = u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {};
  return new MqttClient(() => createConnection({ host, port, noDelay: true }), {
    protocolId: 'MQTT',
    protocolVersion: 4,
    ...auth,
    ...clientOptions,
  });
}

/** Connects `siteId` to the broker at `url` (see {@link MqttTransportOptions.background}). */
export async function createMqttTransport(options: MqttTransportOptions): Promise<StatsTransport> {
  const { siteId: self, clock } = options;
  if (encoder.encode(self).byteLength > 255 || /[+#/]/.test(self))
    throw badRequest('transport.bad_site', `site id ${self}`);
  const log = options.log.child({ module: 'transport.mqtt', site: self });
  const prefix = options.prefix ?? 'brume/fed/v1';
  const inbox = `${prefix}/${self}/inbox`;
  const announceTopic = `${prefix}/announce`;
  const presenceTopic = (site: string) => `${prefix}/${site}/presence`;
  const session = `${clock.now()}-${process.pid}-${++sessions}`;
  const up = Buffer.from(JSON.stringify({ status: 'up', session } satisfies Presence));
  const down = Buffer.from(JSON.stringify({ status: 'down', session } satisfies Presence));
  const peers = new Map<string, string>(); // site -> session
  const messageHandlers = new Set<(m: TransportMessage) => void>();
  const peerHandlers = new Set<(e: PeerEvent) => void>();
  const stats = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };
  let closed = false;

  const call = <T>(handlers: Set<(x: T) => void>, x: T) => {
    for (const h of [...handlers]) {
      try {
        h(x);
      } catch (err) {
        log.error({ err }, 'mqtt transport: handler threw');
      }
    }
  };
  const peerEvent = (peer: string, status: PeerEvent['status']) => {
    if (closed) return;
    log.info({ peer, status }, `mqtt transport: peer ${status}`);
    call(peerHandlers, { peer, status });
  };

  const clientOptions: IClientOptions = {
    clientId: `brume-fed-${self}`,
    clean: false,
    keepalive: options.keepaliveSec ?? 10,
    reconnectPeriod: options.reconnectMs ?? 1000,
    resubscribe: false,
    will: { topic: presenceTopic(self), payload: down, qos: 1, retain: true },
  };
  const client = plainTcpClient(options.url, clientOptions) ?? connect(options.url, clientOptions);

  const onPresence = (site: string, p: Presence | undefined) => {
    if (site === self) {
      if ((p?.status !== 'up' || p.session !== session) && client.connected && !closed) {
        client.publish(presenceTopic(self), up, { qos: 1, retain: true });
      }
      return;
    }
    const known = peers.get(site);
    if (p?.status === 'up') {
      if (known === p.session) return;
      if (known !== undefined) peerEvent(site, 'down');
      peers.set(site, p.session);
      peerEvent(site, 'up');
    } else if (known !== undefined && (p === undefined || p.session === known)) {
      peers.delete(site);
      peerEvent(site, 'down');
    }
  };

  client.on('message', (topic, payload) => {
    if (closed) return;
    if (topic === inbox || topic === announceTopic) {
      const m = unwrap(payload);
      if (!m || m.from === self) return;
      stats.received++;
      stats.bytesReceived += payload.byteLength;
      call(messageHandlers, { from: m.from, data: m.data, channel: topic === inbox ? 'direct' : 'announce' });
      return;
    }
    const parts = topic.split('/');
    if (topic.startsWith(`${prefix}/`) && parts.at(-1) === 'presence') {
      const site = parts.at(-2);
      if (site !== undefined) onPresence(site, parsePresence(payload));
    }
  });
  client.on('close', () => {
    for (const site of [...peers.keys()]) {
      peers.delete(site);
      peerEvent(site, 'down');
    }
  });
  client.on('error', (err) => log.debug({ err }, 'mqtt transport: client error'));

  const subscribe = async () => {
    await client.subscribeAsync({
      [inbox]: { qos: 1 },
      [announceTopic]: { qos: 0 },
      [`${prefix}/+/presence`]: { qos: 1 },
    });
    await client.publishAsync(presenceTopic(self), up, { qos: 1, retain: true });
  };
  let firstSubscribe: (() => void) | undefined;
  const subscribed = new Promise<void>((resolve) => {
    firstSubscribe = resolve;
  });
  client.on('connect', () => {
    if (closed) return;
    subscribe().then(
      () => firstSubscribe?.(),
      (err: unknown) => log.warn({ err }, 'mqtt transport: subscribe failed'),
    );
  });
  if (!options.background) {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.end(true);
        reject(unavailable('transport.broker_unreachable', `MQTT broker ${options.url}: ${err.message}`));
      };
      client.once('error', fail);
      subscribed.then(() => {
        client.off('error', fail);
        resolve();
      }, reject);
    });
  }

  return {
    self,
    peers: () => [...peers.keys()],
    stats: () => ({ ...stats }),
    async send(peer, data) {
      if (closed) throw unavailable('transport.closed', `endpoint ${self} is closed`);
      if (data.byteLength > MAX_MESSAGE_BYTES) {
        throw badRequest('transport.message_too_large', `message of ${data.byteLength} bytes`);
      }
      if (!peers.has(peer) || !client.connected) {
        throw unavailable('transport.peer_unreachable', `peer ${peer} is unreachable`);
      }
      const payload = envelope(self, data);
      stats.sent++;
      stats.bytesSent += payload.byteLength;
      try {
        await client.publishAsync(`${prefix}/${peer}/inbox`, payload, { qos: 1 });
      } catch (err) {
        throw unavailable(closed ? 'transport.closed' : 'transport.peer_unreachable', `send to ${peer}: ${err}`);
      }
    },
    announce(data) {
      if (data.byteLength > MAX_ANNOUNCE_BYTES) {
        throw badRequest('transport.announce_too_large', `announcement of ${data.byteLength} bytes`);
      }
      if (closed || !client.connected) return;
      const payload = envelope(self, data);
      stats.sent++;
      stats.bytesSent += payload.byteLength;
      client.publish(announceTopic, payload, { qos: 0 });
    },
    onMessage(handler) {
      messageHandlers.add(handler);
      return () => messageHandlers.delete(handler);
    },
    onPeer(handler) {
      peerHandlers.add(handler);
      return () => peerHandlers.delete(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      peers.clear();
      if (client.connected) {
        await client.publishAsync(presenceTopic(self), down, { qos: 1, retain: true }).catch(() => {});
      }
      await client.endAsync();
    },
  };
}
