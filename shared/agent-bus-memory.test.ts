import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from './agent-bus-memory.ts';
import { topicMatches } from './ports/agent-bus.ts';
import { runAgentBusContract } from './testing/run-agent-bus-contract.ts';

runAgentBusContract('in memory', {
  async create() {
    const broker = createMemoryBroker();
    return { bus: broker, url: broker.url, close: async () => broker.close() };
  },
});

describe('memory broker', () => {
  it('matches MQTT topic filters', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', 'a/b')).toBe(true);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
  });

  it("reports a handler's exception to the client's error handlers and keeps delivering", async () => {
    const broker = createMemoryBroker();
    const c = broker.connect({ url: broker.url, clientId: 'c', clean: true });
    const errors: string[] = [];
    const got: string[] = [];
    c.onError((e) => errors.push(e.message));
    c.onMessage((t) => {
      if (t === 'boom') throw new Error('handler bug');
      got.push(t);
    });
    c.onConnect(() => {
      void c.subscribe({ '#': 0 });
      for (const t of ['a', 'boom', 'b']) void c.publish(t, 'x', { qos: 0 });
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['handler bug']);
    expect(got).toEqual(['a', 'b']);
    broker.close();
  });

  it('delivers on microtasks only: everything is done after one macrotask, in the same order every time', async () => {
    const run = async () => {
      const broker = createMemoryBroker();
      const log: string[] = [];
      const subs = [0, 1, 2].map((i) => {
        const c = broker.connect({ url: broker.url, clientId: `s${i}`, clean: false });
        c.onConnect(() => void c.subscribe({ [i === 0 ? 't/#' : `t/${i}`]: 1 }));
        c.onMessage((t, p) => log.push(`s${i}:${t}:${new TextDecoder().decode(p)}`));
        return c;
      });
      const pub = broker.connect({ url: broker.url, clientId: 'pub', clean: true });
      pub.onConnect(() => {
        for (let k = 0; k < 5; k++) void pub.publish(`t/${k % 3}`, String(k), { qos: 1 });
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(subs.every((c) => c.connected)).toBe(true);
      expect(broker.stats()).toMatchObject({ clients: 4, sessions: 4, delivered: log.length });
      broker.close();
      return log;
    };
    const a = await run();
    expect(a).toHaveLength(8);
    expect(await run()).toEqual(a);
  });
});
