import { describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import type { TransportMessage } from '../../shared/ports/transport.ts';
import { runTransportContract } from '../../shared/testing/run-transport-contract.ts';
import { createMemoryNetwork } from './memory.ts';

runTransportContract('memory', {
  async create(ids) {
    const net = createMemoryNetwork();
    const transports = ids.map((id) => net.endpoint(id));
    return {
      transports,
      settle: () => net.settle(),
      partition: async (groups) => net.partition(groups),
      heal: async () => net.heal(),
      close: async () => {
        for (const t of transports) await t.close();
      },
    };
  },
});

describe('memory network', () => {
  it('delivers after the link latency of its clock, in send order', async () => {
    const clock = manualClock();
    const net = createMemoryNetwork({ clock, defaults: { latencyMs: 50 } });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    net.link('a', 'b', { latencyMs: 100 });
    const got: number[] = [];
    b.onMessage((m: TransportMessage) => got.push(m.data[0] ?? -1));
    await net.settle();
    await a.send('b', new Uint8Array([1]));
    net.link('a', 'b', { latencyMs: 10 });
    await a.send('b', new Uint8Array([2]));
    clock.advance(99);
    await net.settle();
    expect(got).toEqual([]);
    clock.advance(1);
    await net.settle();
    expect(got).toEqual([1, 2]);
  });

  it('drops messages with the link loss rate, from its random source', async () => {
    let i = 0;
    const net = createMemoryNetwork({ random: () => (i++ % 2 === 0 ? 0.1 : 0.9), defaults: { drop: 0.5 } });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    let got = 0;
    b.onMessage(() => got++);
    for (let k = 0; k < 10; k++) await a.send('b', new Uint8Array([k]));
    await net.settle();
    expect(got).toBe(5);
    expect(net.stats()).toMatchObject({ sent: 10, delivered: 5, dropped: 5 });
  });

  it('loses messages in flight across a new partition', async () => {
    const clock = manualClock();
    const net = createMemoryNetwork({ clock, defaults: { latencyMs: 10 } });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    let got = 0;
    b.onMessage(() => got++);
    await a.send('b', new Uint8Array([1]));
    net.partition([['a'], ['b']]);
    clock.advance(10);
    await net.settle();
    expect(got).toBe(0);
  });
});
