import { describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import type { TransportMessage } from '../../shared/ports/transport.ts';
import { runTransportContract } from '../../shared/testing/run-transport-contract.ts';
import { createMemoryNetwork, deliveryTime } from './memory.ts';

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

  it('tells the open endpoints when one opens or closes, as a connecting peer would', async () => {
    const net = createMemoryNetwork();
    const a = net.endpoint('a');
    const seen: string[] = [];
    a.onPeer((e) => seen.push(`${e.peer} ${e.status}`));
    const b = net.endpoint('b');
    await net.settle();
    expect(seen).toEqual(['b up']);
    expect(b.peers()).toEqual(['a']);
    await b.close();
    await net.settle();
    expect(seen).toEqual(['b up', 'b down']);
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

describe('memory network: jitter and bandwidth', () => {
  /** Sends one message every `gapMs` from a to b and returns each message's arrival time relative to its send. */
  async function jitterTrace(random: (() => number) | undefined, n = 60, gapMs = 20) {
    const clock = manualClock(0);
    const net = createMemoryNetwork({ clock, random, defaults: { latencyMs: 100, jitterMs: 50 } });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    const got: { seq: number; at: number }[] = [];
    b.onMessage((m: TransportMessage) => got.push({ seq: m.data[0] ?? -1, at: clock.now() }));
    await net.settle();
    for (let t = 0; t <= n * gapMs + 200; t++) {
      if (t % gapMs === 0 && t / gapMs < n) await a.send('b', new Uint8Array([t / gapMs]));
      clock.advance(1);
      await net.settle();
    }
    return got.map((g) => ({ seq: g.seq, delay: g.at - g.seq * gapMs }));
  }

  it('draws jitter per message within [latency - jitter, latency + jitter], never reordering a link', async () => {
    const trace = await jitterTrace(undefined);
    expect(trace.map((t) => t.seq)).toEqual([...Array(60).keys()]);
    const delays = trace.map((t) => t.delay);
    // The manual clock fires on whole ms: a draw of 72.4 ms is seen at 73.
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(50);
    for (const d of delays) expect(d).toBeLessThanOrEqual(151);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(50);
    // Sent every 20 ms with ±50 ms jitter, some message caught up with the one before it (FIFO held it back).
    expect(new Set(trace.map((t) => t.delay + t.seq * 20)).size).toBeLessThan(60);
  });

  it('repeats exactly for one random source, differs for another', async () => {
    const seeded = (seed: number) => {
      let x = seed;
      return () => {
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
        return x / 2_147_483_648;
      };
    };
    const one = await jitterTrace(seeded(7), 20);
    expect(await jitterTrace(seeded(7), 20)).toEqual(one);
    expect(await jitterTrace(seeded(8), 20)).not.toEqual(one);
  });

  it('queues messages behind a large one on a narrow link, per direction', async () => {
    const clock = manualClock(0);
    // 1 Mbit/s, 10 ms: 125,000 bytes take 1 s to serialize, 125 bytes 1 ms.
    const net = createMemoryNetwork({ clock, defaults: { latencyMs: 10, bandwidth: 1_000_000 } });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    const got: string[] = [];
    a.onMessage((m: TransportMessage) => got.push(`a<-${m.data.byteLength}@${clock.now()}`));
    b.onMessage((m: TransportMessage) => got.push(`b<-${m.data.byteLength}@${clock.now()}`));
    await net.settle();
    await a.send('b', new Uint8Array(125_000)); // a snapshot
    await a.send('b', new Uint8Array(125)); // a digest behind it
    await b.send('a', new Uint8Array(125)); // the other direction is idle
    for (const t of [10, 11, 1009, 1010, 1011]) {
      clock.set(t);
      await net.settle();
    }
    expect(got).toEqual(['a<-125@11', 'b<-125000@1010', 'b<-125@1011']);
  });

  it('computes the delivery time: serialization queue, then latency and jitter, FIFO', () => {
    let busy = 0;
    const setBusy = (b: number) => {
      busy = b;
    };
    const m = { latency: 10, jitter: 0, bandwidth: 8000, bytes: 100, random: () => 0.5 };
    // 100 bytes at 8 kbit/s: 100 ms on the wire.
    expect(deliveryTime(0, m, { busyUntil: 0, lastDelivery: 0 }, setBusy)).toBe(110);
    expect(busy).toBe(100);
    // Sent at 50 while the link is busy until 100: waits, then 100 ms more.
    expect(deliveryTime(50, m, { busyUntil: busy, lastDelivery: 110 }, setBusy)).toBe(210);
    expect(busy).toBe(200);
    // Jitter draws 0 -> latency - jitter, but never before the previous delivery.
    const j = { latency: 10, jitter: 8, bandwidth: 0, bytes: 100, random: () => 0 };
    expect(deliveryTime(0, j, { busyUntil: 0, lastDelivery: 0 }, setBusy)).toBe(2);
    expect(deliveryTime(0, j, { busyUntil: 0, lastDelivery: 30 }, setBusy)).toBe(30);
    expect(deliveryTime(0, { ...j, random: () => 0.999_999 }, { busyUntil: 0, lastDelivery: 0 }, setBusy)).toBeCloseTo(
      18,
    );
  });

  it('a latency-0 message waits behind a delayed one on the same link', async () => {
    const clock = manualClock(0);
    const net = createMemoryNetwork({ clock });
    const a = net.endpoint('a');
    const b = net.endpoint('b');
    const got: number[] = [];
    b.onMessage((m: TransportMessage) => got.push(m.data[0] ?? -1));
    net.link('a', 'b', { latencyMs: 30 });
    await a.send('b', new Uint8Array([1]));
    net.link('a', 'b', { latencyMs: 0 });
    await a.send('b', new Uint8Array([2]));
    await net.settle();
    expect(got).toEqual([]);
    clock.advance(30);
    await net.settle();
    expect(got).toEqual([1, 2]);
  });
});
