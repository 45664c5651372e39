import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentBus, BusClient, BusConnectOptions } from '../ports/agent-bus.ts';

/** A broker made for one test. */
export interface AgentBusFixture {
  bus: AgentBus;
  url: string;
  close(): Promise<void>;
}

/** Hooks an AgentBus implementation provides to the contract suite. */
export interface AgentBusHarness {
  create(): Promise<AgentBusFixture>;
}

const until = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 5 });
const text = (p: Uint8Array) => new TextDecoder().decode(p);
let seq = 0;

/** The one contract every AgentBus passes (mqtt.js to aedes or Mosquitto, in memory). See shared/ports/agent-bus.ts. */
export function runAgentBusContract(name: string, harness: AgentBusHarness): void {
  describe(`AgentBus contract: ${name}`, () => {
    let fixture: AgentBusFixture | undefined;
    const clients: BusClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.end().catch(() => {});
      await fixture?.close();
      fixture = undefined;
    });

    /** Connects and resolves with the client, its inbox and whether the broker had its session. */
    const client = async (options: Partial<BusConnectOptions> = {}) => {
      fixture ??= await harness.create();
      const c = fixture.bus.connect({ url: fixture.url, clientId: `c${seq++}`, clean: true, ...options });
      clients.push(c);
      const got: string[] = [];
      c.onMessage((topic, payload) => got.push(`${topic}=${text(payload)}`));
      const sessionPresent = await new Promise<boolean>((resolve, reject) => {
        const off = c.onConnect((present) => {
          off();
          resolve(present);
        });
        c.onError(reject);
      });
      return { c, got, sessionPresent };
    };

    it('delivers to exact and wildcard subscribers, in publish order, not to others', async () => {
      const a = await client();
      const b = await client();
      const pub = await client();
      await a.c.subscribe({ 'x/+/status': 1 });
      await b.c.subscribe({ 'x/#': 0, 'y/h1/cmd': 1 });
      for (const [t, p] of [
        ['x/h1/status', '1'],
        ['x/h1/events', '2'],
        ['x/h2/status', '3'],
        ['y/h1/cmd', '4'],
        ['y/h2/cmd', '5'],
        ['x', '6'],
      ] as const) {
        await pub.c.publish(t, p, { qos: 1 });
      }
      await until(() => expect(b.got).toHaveLength(5));
      expect(b.got).toEqual(['x/h1/status=1', 'x/h1/events=2', 'x/h2/status=3', 'y/h1/cmd=4', 'x=6']);
      expect(a.got).toEqual(['x/h1/status=1', 'x/h2/status=3']);
      expect(pub.got).toEqual([]);
    });

    it('hands the retained message of a topic to later subscribers; an empty one clears it', async () => {
      const pub = await client();
      await pub.c.publish('r/h1/status', 'online', { qos: 1, retain: true });
      await pub.c.publish('r/h2/status', 'first', { qos: 1, retain: true });
      await pub.c.publish('r/h2/status', 'second', { qos: 1, retain: true });
      await pub.c.publish('r/h3/status', 'gone', { qos: 1, retain: true });
      await pub.c.publish('r/h3/status', '', { qos: 1, retain: true });
      await pub.c.publish('r/h4/status', 'not kept', { qos: 1 });
      const sub = await client();
      await sub.c.subscribe({ 'r/+/status': 1 });
      await until(() => expect(sub.got).toHaveLength(2));
      expect([...sub.got].sort()).toEqual(['r/h1/status=online', 'r/h2/status=second']);
      const exact = await client();
      await exact.c.subscribe({ 'r/h1/status': 1 });
      await until(() => expect(exact.got).toEqual(['r/h1/status=online']));
    });

    it('publishes the last will when a client vanishes, not when it says goodbye', async () => {
      const watcher = await client();
      await watcher.c.subscribe({ 'w/#': 1 });
      const will = (host: string) => ({
        topic: `w/${host}`,
        payload: `${host} offline`,
        qos: 1 as const,
        retain: true,
      });
      const polite = await client({ will: will('polite') });
      const crash = await client({ will: will('crash') });
      await polite.c.end();
      await crash.c.kill();
      expect(crash.c.connected).toBe(false);
      await until(() => expect(watcher.got).toEqual(['w/crash=crash offline']));
      const late = await client();
      await late.c.subscribe({ 'w/+': 1 });
      await until(() => expect(late.got).toEqual(['w/crash=crash offline']));
    });

    it('keeps a persistent session: subscriptions and QoS 1 messages queued while the client was away', async () => {
      const id = `persistent-${seq++}`;
      const first = await client({ clientId: id, clean: false });
      expect(first.sessionPresent).toBe(false);
      await first.c.subscribe({ 'p/h1/cmd': 1 });
      await first.c.kill();
      const pub = await client();
      await pub.c.publish('p/h1/cmd', 'while away', { qos: 1 });
      await pub.c.publish('p/h1/cmd', 'dropped (QoS 0)', { qos: 0 });
      const again = await client({ clientId: id, clean: false });
      expect(again.sessionPresent).toBe(true);
      await until(() => expect(again.got).toEqual(['p/h1/cmd=while away']));
      await pub.c.publish('p/h1/cmd', 'now', { qos: 1 });
      await until(() => expect(again.got).toEqual(['p/h1/cmd=while away', 'p/h1/cmd=now']));
      await again.c.end();
      const clean = await client({ clientId: id, clean: true });
      expect(clean.sessionPresent).toBe(false);
      await pub.c.publish('p/h1/cmd', 'nobody', { qos: 1 });
      const fresh = await client({ clientId: id, clean: false });
      expect(fresh.sessionPresent).toBe(false);
    });
  });
}
