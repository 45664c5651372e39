import mqtt from 'mqtt';
import type { AgentBus, BusClient, BusConnectOptions } from './ports/agent-bus.ts';

/** Reconnect attempts of a dropped client, as the fleet and agents always used. */
const RECONNECT_MS = 1000;

const listen = <A extends unknown[]>(
  c: mqtt.MqttClient,
  event: 'connect' | 'message' | 'error' | 'close',
  fn: (...args: A) => void,
): (() => void) => {
  const h = fn as (...args: unknown[]) => void;
  c.on(event, h);
  return () => {
    c.off(event, h);
  };
};

/** The agent bus over a real MQTT broker (aedes embedded in a site, or Mosquitto) through mqtt.js. */
export const mqttAgentBus: AgentBus = {
  connect(options: BusConnectOptions): BusClient {
    const c = mqtt.connect(options.url, {
      clientId: options.clientId,
      clean: options.clean,
      protocolVersion: 4,
      reconnectPeriod: RECONNECT_MS,
      ...(options.username ? { username: options.username, password: options.password } : {}),
      ...(options.will
        ? {
            will: {
              topic: options.will.topic,
              payload: Buffer.from(options.will.payload),
              qos: options.will.qos,
              retain: options.will.retain,
            },
          }
        : {}),
    });
    return {
      get connected() {
        return c.connected;
      },
      onConnect: (fn) => listen(c, 'connect', (connack: { sessionPresent: boolean }) => fn(connack.sessionPresent)),
      onMessage: (fn) => listen(c, 'message', (topic: string, payload: Buffer) => fn(topic, payload)),
      onError: (fn) => listen(c, 'error', fn),
      onClose: (fn) => listen(c, 'close', fn),
      async publish(topic, payload, opts) {
        await c.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain ?? false });
      },
      async subscribe(filters) {
        const map: Record<string, { qos: 0 | 1 }> = {};
        for (const [f, qos] of Object.entries(filters)) map[f] = { qos };
        await c.subscribeAsync(map);
      },
      async end() {
        await c.endAsync();
      },
      async kill() {
        await c.endAsync(true);
      },
    };
  },
};
