import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANNOUNCE_BYTES, type PeerEvent, type Transport, type TransportMessage } from '../ports/transport.ts';

/** A set of connected endpoints made by an implementation for the contract suite. */
export interface TransportFixture {
  /** One endpoint per requested id, all mutually reachable once `settle` resolves. */
  transports: Transport[];
  /** Resolves once pending deliveries and peer events have been handed to handlers. */
  settle(): Promise<void>;
  /** Splits the endpoints into groups that cannot reach each other (omit when the implementation cannot). */
  partition?(groups: string[][]): Promise<void>;
  heal?(): Promise<void>;
  close(): Promise<void>;
}

/** Hooks a Transport implementation provides to the contract suite. */
export interface TransportHarness {
  create(ids: string[]): Promise<TransportFixture>;
}

function inbox(t: Transport): TransportMessage[] {
  const got: TransportMessage[] = [];
  t.onMessage((m) => got.push(m));
  return got;
}

const bytes = (...v: number[]) => new Uint8Array(v);

/** The one contract every Transport passes (memory, libp2p, MQTT). See shared/ports/transport.ts. */
export function runTransportContract(name: string, harness: TransportHarness): void {
  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture | undefined;
    const create = async (ids: string[]) => {
      fixture = await harness.create(ids);
      await fixture.settle();
      return fixture;
    };
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });

    it('lists every other endpoint as a peer', async () => {
      const { transports } = await create(['a', 'b', 'c']);
      for (const t of transports) {
        expect(t.peers().toSorted()).toEqual(['a', 'b', 'c'].filter((p) => p !== t.self));
      }
    });

    it('delivers direct messages intact, in order, to the named peer only', async () => {
      const f = await create(['a', 'b', 'c']);
      const [a, b, c] = f.transports;
      if (!a || !b || !c) throw new Error('fixture');
      const atB = inbox(b);
      const atC = inbox(c);
      for (let i = 0; i < 50; i++) await a.send('b', bytes(i, 255 - i));
      const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      await a.send('b', big);
      await f.settle();
      expect(atC).toEqual([]);
      expect(atB.slice(0, 50).map((m) => [...m.data])).toEqual(Array.from({ length: 50 }, (_, i) => [i, 255 - i]));
      expect(atB.every((m) => m.from === 'a' && m.channel === 'direct')).toBe(true);
      expect(atB[50]?.data).toEqual(big);
    });

    it('announces to every other endpoint, not to itself, and refuses large announcements', async () => {
      const f = await create(['a', 'b', 'c']);
      const boxes = f.transports.map(inbox);
      f.transports[0]?.announce(bytes(7));
      await f.settle();
      expect(boxes.map((box) => box.map((m) => [m.from, m.channel, [...m.data]]))).toEqual([
        [],
        [['a', 'announce', [7]]],
        [['a', 'announce', [7]]],
      ]);
      expect(() => f.transports[0]?.announce(new Uint8Array(MAX_ANNOUNCE_BYTES + 1))).toThrow(
        expect.objectContaining({ code: 'transport.announce_too_large' }),
      );
    });

    it('rejects a send to an unknown peer and any send after close', async () => {
      const f = await create(['a', 'b']);
      const [a] = f.transports;
      if (!a) throw new Error('fixture');
      await expect(a.send('nobody', bytes(1))).rejects.toMatchObject({ code: 'transport.peer_unreachable' });
      await a.close();
      await a.close();
      await expect(a.send('b', bytes(1))).rejects.toMatchObject({ code: 'transport.closed' });
    });

    it('tells peers when an endpoint closes', async () => {
      const f = await create(['a', 'b']);
      const [a, b] = f.transports;
      if (!a || !b) throw new Error('fixture');
      const events: PeerEvent[] = [];
      b.onPeer((e) => events.push(e));
      await a.close();
      await f.settle();
      expect(events).toEqual([{ peer: 'a', status: 'down' }]);
      expect(b.peers()).toEqual([]);
    });

    it('stops calling a handler once it is removed', async () => {
      const f = await create(['a', 'b']);
      const [a, b] = f.transports;
      if (!a || !b) throw new Error('fixture');
      const got: TransportMessage[] = [];
      const off = b.onMessage((m) => got.push(m));
      off();
      await a.send('b', bytes(1));
      await f.settle();
      expect(got).toEqual([]);
    });

    it('partitions and heals with down/up events', async (ctx) => {
      const f = await create(['a', 'b', 'c']);
      const { partition, heal } = f;
      if (!partition || !heal) return ctx.skip();
      const [a, b, c] = f.transports;
      if (!a || !b || !c) throw new Error('fixture');
      const events: PeerEvent[] = [];
      c.onPeer((e) => events.push(e));
      const atC = inbox(c);
      await partition([['a', 'b'], ['c']]);
      await f.settle();
      expect(a.peers()).toEqual(['b']);
      expect(events.toSorted((x, y) => x.peer.localeCompare(y.peer))).toEqual([
        { peer: 'a', status: 'down' },
        { peer: 'b', status: 'down' },
      ]);
      await expect(a.send('c', bytes(1))).rejects.toMatchObject({ code: 'transport.peer_unreachable' });
      a.announce(bytes(2));
      await heal();
      await f.settle();
      expect(c.peers().toSorted()).toEqual(['a', 'b']);
      await a.send('c', bytes(3));
      await f.settle();
      expect(atC.map((m) => [...m.data])).toEqual([[3]]);
    });
  });
}
