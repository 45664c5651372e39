import { connectAsync } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import { silentLogger } from '../../../shared/ports/logger.ts';
import type { PeerEvent, TransportMessage } from '../../../shared/ports/transport.ts';
import { hasMosquitto, type MosquittoProcess, startMosquitto } from '../../../shared/testing/mosquitto.ts';
import { runTransportContract } from '../../../shared/testing/run-transport-contract.ts';
import type { StatsTransport } from '../stats.ts';
import { startAedes } from '../testing/aedes.ts';
import { expectCatalogsConverge, pattern, realFixture, sameBytes, waitFor } from '../testing/real.ts';
import { createMqttTransport } from './mqtt-transport.ts';

interface Broker {
  url: string;
  stop(): Promise<void>;
}

const brokers: Record<string, () => Promise<Broker>> = {
  aedes: startAedes,
  ...(hasMosquitto() ? { mosquitto: async () => startMosquitto() } : {}),
};

for (const [name, start] of Object.entries(brokers)) {
  describe(`mqtt transport on ${name}`, () => {
    let broker: Broker | MosquittoProcess | undefined;
    let prefixN = 0;
    const open: StatsTransport[] = [];
    const site = async (siteId: string, prefix: string) => {
      const t = await createMqttTransport({
        siteId,
        url: broker?.url ?? '',
        clock: systemClock,
        log: silentLogger,
        prefix,
      });
      open.push(t);
      return t;
    };
    /** Each test gets its own topic prefix, so retained presences of earlier tests do not leak in. */
    const freshPrefix = () => `brume/test${++prefixN}/fed/v1`;
    beforeAll(async () => {
      broker = await start();
    });
    afterEach(async () => {
      for (const t of open.splice(0)) await t.close();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    runTransportContract(`mqtt (${name})`, {
      async create(ids) {
        const prefix = freshPrefix();
        const ts = await Promise.all(ids.map((id) => site(id, prefix)));
        return realFixture(ts);
      },
    });

    it('reports a peer down when it stops and up when it comes back', async () => {
      const prefix = freshPrefix();
      const a = await site('a', prefix);
      const b = await site('b', prefix);
      await waitFor(() => b.peers().includes('a') && a.peers().includes('b'), 'a-b');
      const events: PeerEvent[] = [];
      b.onPeer((e) => events.push(e));
      await a.close();
      await waitFor(() => events.length === 1, 'down');
      const again = await site('a', prefix);
      await waitFor(() => b.peers().includes('a') && again.peers().includes('b'), 'a back');
      expect(events).toEqual([
        { peer: 'a', status: 'down' },
        { peer: 'a', status: 'up' },
      ]);
      const got: TransportMessage[] = [];
      again.onMessage((m) => got.push(m));
      await b.send('a', new Uint8Array([42]));
      await waitFor(() => got.length === 1, 'message after restart');
    });

    it('takes a crashed site down through its last will, ignoring a stale will of an older session', async () => {
      const prefix = freshPrefix();
      const b = await site('b', prefix);
      const presence = (status: string, session: string) => JSON.stringify({ status, session });
      const topic = `${prefix}/ghost/presence`;
      const ghost = await connectAsync(broker?.url ?? '', {
        clientId: 'brume-fed-ghost',
        will: { topic, payload: Buffer.from(presence('down', 's2')), qos: 1, retain: true },
      });
      await ghost.publishAsync(topic, presence('up', 's2'), { qos: 1, retain: true });
      await waitFor(() => b.peers().includes('ghost'), 'ghost up');
      const events: PeerEvent[] = [];
      b.onPeer((e) => events.push(e));
      await ghost.publishAsync(topic, presence('down', 's1'), { qos: 1 }); // an older session's will: ignored
      // A barrier: the same client's later publish arrives after it.
      await ghost.publishAsync(`${prefix}/marker/presence`, presence('up', 'm'), { qos: 1 });
      await waitFor(() => b.peers().includes('marker'), 'marker');
      expect(b.peers().toSorted()).toEqual(['ghost', 'marker']);
      events.length = 0;
      ghost.stream.destroy(); // no DISCONNECT: the broker publishes the will
      await waitFor(() => events.length === 1, 'ghost down', 15_000);
      expect(events).toEqual([{ peer: 'ghost', status: 'down' }]);
      expect(b.peers()).toEqual(['marker']);
      await ghost.endAsync(true);
    });

    it('learns every site from the broker alone and carries a 5 MB message', async () => {
      const prefix = freshPrefix();
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => site(id, prefix)));
      if (!a || !b || !c) throw new Error('sites');
      await waitFor(() => [a, b, c].every((t) => t.peers().length === 2), 'every site to see the others');
      const got: TransportMessage[] = [];
      c.onMessage((m) => got.push(m));
      const big = pattern(5 * 1024 * 1024);
      await a.send('c', big);
      await waitFor(() => got.length === 1, 'the big message', 20_000);
      expect(sameBytes(got[0]?.data, big)).toBe(true);
    });

    it('converges three replicated catalogs through catalog sync', async () => {
      const prefix = freshPrefix();
      const ts = await Promise.all(['a', 'b', 'c'].map((id) => site(id, prefix)));
      await waitFor(() => ts.every((t) => t.peers().length === 2), 'presence');
      await expectCatalogsConverge(ts);
    });
  });
}

describe('mqtt transport without a broker', () => {
  it('rejects when the broker is unreachable, or keeps trying in the background and joins once it is up', async () => {
    const { freePort } = await import('../../../shared/testing/mosquitto.ts');
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    await expect(
      createMqttTransport({ siteId: 'a', url, clock: systemClock, log: silentLogger }),
    ).rejects.toMatchObject({
      code: 'transport.broker_unreachable',
    });
    const a = await createMqttTransport({
      siteId: 'a',
      url,
      clock: systemClock,
      log: silentLogger,
      background: true,
      reconnectMs: 50,
    });
    try {
      expect(a.peers()).toEqual([]);
      await expect(a.send('b', new Uint8Array([1]))).rejects.toMatchObject({ code: 'transport.peer_unreachable' });
      const broker = await startAedes(port);
      const b = await createMqttTransport({ siteId: 'b', url, clock: systemClock, log: silentLogger });
      try {
        await waitFor(() => a.peers().includes('b') && b.peers().includes('a'), 'a to join once the broker is up');
      } finally {
        await b.close();
        await a.close();
        await broker.stop();
      }
    } finally {
      await a.close();
    }
  });
});
