import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import { silentLogger } from '../../../shared/ports/logger.ts';
import type { PeerEvent, TransportMessage } from '../../../shared/ports/transport.ts';
import { runTransportContract } from '../../../shared/testing/run-transport-contract.ts';
import { expectCatalogsConverge, pattern, realFixture, sameBytes, waitFor } from '../testing/real.ts';
import { createLibp2pTransport, type Libp2pTransport } from './libp2p-transport.ts';
import { loadOrCreatePeerKey } from './peer-key.ts';

const open: Libp2pTransport[] = [];
async function node(siteId: string, more: Partial<Parameters<typeof createLibp2pTransport>[0]> = {}) {
  const t = await createLibp2pTransport({
    siteId,
    clock: systemClock,
    log: silentLogger,
    backoff: { minMs: 20, maxMs: 200 },
    ...more,
  });
  open.push(t);
  return t;
}
const first = (t: Libp2pTransport): string => t.multiaddrs()[0] ?? '';

/** ids[0] first, every other node bootstraps from it only. */
async function mesh(ids: string[]): Promise<Libp2pTransport[]> {
  const [head, ...rest] = ids;
  if (head === undefined) return [];
  const a = await node(head);
  const others = await Promise.all(rest.map((id) => node(id, { bootstrap: [first(a)] })));
  return [a, ...others];
}

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

runTransportContract('libp2p', {
  async create(ids) {
    const nodes = await mesh(ids);
    let groups: string[][] | undefined;
    const reachable = (a: string, b: string) => !groups || groups.some((g) => g.includes(a) && g.includes(b));
    const fixture = realFixture(
      nodes,
      (t, others) => {
        const reach = (t as Libp2pTransport).announceReach();
        return others.every((o) => reach.includes(o));
      },
      undefined,
      reachable,
    );
    const apply = async () => {
      for (const n of nodes) await n.setBlocked(ids.filter((o) => o !== n.self && !reachable(n.self, o)));
    };
    return {
      ...fixture,
      partition: async (g) => {
        groups = g;
        await apply();
      },
      heal: async () => {
        groups = undefined;
        await apply();
      },
    };
  },
});

describe('libp2p transport', () => {
  it('joins through one bootstrap address: C knows only A and ends up connected to B', async () => {
    const a = await node('a');
    const b = await node('b', { bootstrap: [first(a)] });
    await waitFor(() => a.peers().includes('b'), 'a-b');
    // A bare address (no /p2p/ peer id) is enough: the peer id is learnt from the connection.
    const c = await node('c', { bootstrap: [first(a).replace(/\/p2p\/.*$/, '')] });
    await waitFor(() => c.peers().length === 2 && b.peers().includes('c'), 'c to meet b');
    expect(c.peers().toSorted()).toEqual(['a', 'b']);
    expect(b.peers().toSorted()).toEqual(['a', 'c']);
  });

  it('reports a peer down when it stops and up when it restarts with the same key (redialled with backoff)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brume-p2p-'));
    try {
      const key = await loadOrCreatePeerKey(join(dir, 'peer.key'));
      expect(await loadOrCreatePeerKey(join(dir, 'peer.key'))).toEqual(key);
      const a = await node('a', { privateKey: key });
      const addr = first(a);
      const b = await node('b', { bootstrap: [addr] });
      await waitFor(() => b.peers().includes('a') && a.peers().includes('b'), 'a-b');
      const events: PeerEvent[] = [];
      b.onPeer((e) => events.push(e));
      await a.close();
      await waitFor(() => events.length === 1, 'down');
      expect(b.peers()).toEqual([]);
      // Same key and port, no bootstrap: B's redial loop must find it.
      const listen = addr.replace(/\/p2p\/.*$/, '');
      const again = await node('a', { privateKey: key, listen });
      expect(again.peerId).toBe(a.peerId);
      await waitFor(() => b.peers().includes('a') && again.peers().includes('b'), 'a back');
      expect(events).toEqual([
        { peer: 'a', status: 'down' },
        { peer: 'a', status: 'up' },
      ]);
      const got: TransportMessage[] = [];
      again.onMessage((m) => got.push(m));
      await b.send('a', new Uint8Array([42]));
      await waitFor(() => got.length === 1, 'message after restart');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('carries a 5 MB message and a burst of 1,000 messages in order without loss (backpressure)', async () => {
    const [a, b] = await mesh(['a', 'b']);
    if (!a || !b) throw new Error('mesh');
    await waitFor(() => a.peers().includes('b'), 'a-b');
    const got: TransportMessage[] = [];
    b.onMessage((m) => got.push(m));
    const big = pattern(5 * 1024 * 1024);
    const sends = [a.send('b', big)];
    for (let i = 0; i < 1000; i++) {
      const m = new Uint8Array(1024).fill(i % 256);
      new DataView(m.buffer).setUint32(0, i);
      sends.push(a.send('b', m));
    }
    await Promise.all(sends);
    await waitFor(() => got.length === 1001, '1,001 messages', 20_000);
    expect(sameBytes(got[0]?.data, big)).toBe(true);
    const order = got.slice(1).map((m) => new DataView(m.data.buffer, m.data.byteOffset).getUint32(0));
    expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('converges three replicated catalogs through catalog sync', async () => {
    const nodes = await mesh(['a', 'b', 'c']);
    await waitFor(() => nodes.every((t) => t.peers().length === 2), 'mesh');
    await expectCatalogsConverge(nodes);
  });
});

describe('libp2p transport peer binding', () => {
  it('refuses a peer claiming a site id whose key is another one, and accepts the genuine key', async () => {
    const a = await node('a');
    const genuineKey = (await node('unused')).identityKey();
    const genuinePublic = genuineKey.slice(36, 68); // raw Ed25519 public key in the protobuf
    a.setPeerAuthorizer((site, key) => site !== 'b' || key.every((v, i) => v === genuinePublic[i]));
    const impostor = await node('b', { bootstrap: [first(a)] }); // a fresh key claiming b
    const c = await node('c', { bootstrap: [first(a)] }); // a third site, unaffected
    await waitFor(() => a.peers().includes('c') && c.peers().includes('a'), 'c up');
    expect(a.peers()).not.toContain('b');
    await impostor.close();
    const real = await node('b', { bootstrap: [first(a)], privateKey: genuineKey });
    await waitFor(() => a.peers().includes('b') && real.peers().includes('a'), 'genuine b up');
    const got: TransportMessage[] = [];
    real.onMessage((m) => got.push(m));
    await a.send('b', new Uint8Array([7]));
    await waitFor(() => got.length === 1, 'message to the genuine b');
  });
});
