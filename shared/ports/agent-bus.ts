/**
 * The site <-> agent bus: the subset of an MQTT 3.1.1 client that the fleet (edge-site/fleet/bus.ts) and the site
 * agent (site-agent/agent.ts) use. Persistent sessions (`clean: false`), QoS 0/1, retained messages, `+`/`#`
 * subscriptions and a last will published when a client vanishes without a goodbye.
 *
 * Implementations: `mqttAgentBus` (shared/agent-bus-mqtt.ts, mqtt.js to aedes or Mosquitto: real sites, `proc`,
 * `netns`) and `memoryAgentBus` (shared/agent-bus-memory.ts, a broker inside the process delivering on microtasks:
 * the deterministic `sim`). Both pass shared/testing/run-agent-bus-contract.ts.
 */

export type BusQos = 0 | 1;

/** Published by the broker when the client's connection drops without a clean `end()`. */
export interface BusWill {
  topic: string;
  payload: string;
  qos: BusQos;
  retain: boolean;
}

export interface BusConnectOptions {
  /** The broker's address (`mqtt://host:port`); in-process buses may ignore it. */
  url: string;
  clientId: string;
  /** false: the broker keeps this client's subscriptions and queues its QoS 1 messages while it is away. */
  clean: boolean;
  username?: string;
  password?: string;
  will?: BusWill;
}

export interface BusPublishOptions {
  qos: BusQos;
  /** The broker keeps the last retained message of a topic and hands it to every new subscriber (empty clears). */
  retain?: boolean;
}

/** One client connection; it reconnects by itself until `end()` or `kill()`. Handlers return an unsubscribe. */
export interface BusClient {
  readonly connected: boolean;
  /** Every (re)connection, with whether the broker still held this client's session. */
  onConnect(fn: (sessionPresent: boolean) => void): () => void;
  onMessage(fn: (topic: string, payload: Uint8Array) => void): () => void;
  onError(fn: (err: Error) => void): () => void;
  /** The connection closed (it may come back unless ended). */
  onClose(fn: () => void): () => void;
  /** Resolves once the broker took the message (QoS 1) or it was written (QoS 0); rejects when it cannot be. */
  publish(topic: string, payload: string, options: BusPublishOptions): Promise<void>;
  /** Subscribes to topic filters (`+` one level, `#` the rest) with their QoS. */
  subscribe(filters: Record<string, BusQos>): Promise<void>;
  /** Disconnects with a goodbye: the broker does not publish the will. */
  end(): Promise<void>;
  /** Vanishes (a crash): the broker publishes the will. Stops reconnecting too. */
  kill(): Promise<void>;
}

/** Opens client connections to one kind of broker. */
export interface AgentBus {
  /** An in-process bus's own address (it needs no broker process); absent for network brokers. */
  readonly url?: string;
  connect(options: BusConnectOptions): BusClient;
}

/** Whether an MQTT topic filter (`+` one level, `#` this level and below) matches a topic. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}
