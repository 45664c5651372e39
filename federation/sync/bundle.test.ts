import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { Transport, TransportMessage } from '../../shared/ports/transport.ts';
import { memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../store/replicated-catalog.ts';
import { createMemoryNetwork } from '../transports/memory.ts';
import { type CatalogSync, startCatalogSync } from './catalog-sync.ts';
import {
  decodeFrame,
  encodeBundle,
  encodeBundleOf,
  encodeFrame,
  FrameType,
  framesOf,
  type HeadsPayload,
  json,
} from './wire.ts';

describe('bundle frames', () => {
  it('round-trip several frames, skipping nested bundles and a truncated tail', () => {
    const a = encodeFrame(FrameType.SYNC, 'v1/users/x/1', new Uint8Array([1, 2, 3]));
    const b = encodeFrame(FrameType.DIGEST, '', json.bytes('abc'));
    const nested = encodeBundle([a]);
    const bundle = encodeBundle([a, nested, b]);
    expect(decodeFrame(bundle)?.type).toBe(FrameType.BUNDLE);
    const frames = framesOf(bundle);
    expect(frames.map((f) => [f.type, f.doc])).toEqual([
      [FrameType.SYNC, 'v1/users/x/1'],
      [FrameType.DIGEST, ''],
    ]);
    expect([...(frames[0]?.payload ?? [])]).toEqual([1, 2, 3]);
    expect(framesOf(bundle.subarray(0, bundle.length - 2)).length).toBe(1);
    expect(framesOf(a).length).toBe(1);
    expect(framesOf(new Uint8Array([9, 0, 0]))).toEqual([]);
  });

  it('are written in place the same as frame by frame, non-ASCII keys included', () => {
    const frames = [
      { type: FrameType.SYNC, doc: 'v1/users/x/1', payload: new Uint8Array([1, 2, 3]) },
      { type: FrameType.RANGE, doc: 'v1/users/é/2', payload: json.bytes('site-7') },
      { type: FrameType.DIGEST, doc: '', payload: new Uint8Array() },
    ];
    const byFrame = encodeBundle(frames.map((f) => encodeFrame(f.type, f.doc, f.payload)));
    expect([...encodeBundleOf(frames)]).toEqual([...byFrame]);
    expect(framesOf(byFrame).map((f) => f.doc)).toEqual(frames.map((f) => f.doc));
  });
});

/**
 * A transport seen by its peers as an older site: it sends no bundles (split into frames) and HEADS that do not say
 * it reads them; BUNDLE frames sent to it are counted and dropped, as an older decoder does.
 */
function olderSite(inner: Transport, seen: { bundles: number; openings?: number }): Transport {
  const strip = (data: Uint8Array): Uint8Array => {
    const f = decodeFrame(data);
    if (f?.type !== FrameType.HEADS) return data;
    const {
      bundles: _b,
      scope: _s,
      buckets: _k,
      v: _v,
      grouped: _g,
      hashes: _h,
      ...rest
    } = json.decode<HeadsPayload>(f.payload);
    return encodeFrame(FrameType.HEADS, '', json.encode(rest));
  };
  return {
    ...inner,
    self: inner.self,
    peers: () => inner.peers(),
    send: async (peer, data) => {
      if (data[0] !== FrameType.BUNDLE) return inner.send(peer, strip(data));
      for (const f of framesOf(data)) await inner.send(peer, strip(encodeFrame(f.type, f.doc, f.payload)));
    },
    announce: (data) => inner.announce(data),
    onMessage: (h) =>
      inner.onMessage((m: TransportMessage) => {
        if (m.data[0] === FrameType.BUNDLE) {
          // A first contact is a lone HEADS opening in a bundle, which this older site drops (counted apart).
          const inner = framesOf(m.data);
          if (inner.length === 1 && inner[0]?.type === FrameType.HEADS) seen.openings = (seen.openings ?? 0) + 1;
          else seen.bundles++;
          return;
        }
        h(m);
      }),
    onPeer: (h) => inner.onPeer(h),
    close: () => inner.close(),
  };
}

describe('catalog sync with an older peer', () => {
  const stores: ReplicatedCatalog[] = [];
  const syncs: CatalogSync[] = [];
  afterEach(async () => {
    for (const s of syncs.splice(0)) s.stop();
    for (const s of stores.splice(0)) await s.close();
  });

  it('sends it single frames and full HEADS, and both converge', async () => {
    const clock = manualClock();
    const net = createMemoryNetwork({ clock });
    const seen = { bundles: 0, openings: 0 };
    const make = async (id: string, wrap = false) => {
      const store = await createReplicatedCatalog({
        siteId: id,
        persistence: memoryPersistence(),
        clock,
        log: silentLogger,
      });
      const endpoint = net.endpoint(id);
      const transport = wrap ? olderSite(endpoint, seen) : endpoint;
      const sync = startCatalogSync({ replica: store.replica, transport, clock, log: silentLogger });
      stores.push(store);
      syncs.push(sync);
      return { store, sync };
    };
    const fresh = await make('new');
    const old = await make('old', true);
    const settle = async (n = 3) => {
      for (let i = 0; i < n; i++) {
        await net.settle();
        clock.advance(1000);
        await net.settle();
        for (const s of stores) await s.flush();
      }
      await net.settle();
    };
    net.partition([['new'], ['old']]);
    for (let i = 0; i < 30; i++) {
      await fresh.store.put('users', { id: `n${i}`, name: `n${i}`, domain_id: 'default', enabled: true });
      await old.store.put('users', { id: `o${i}`, name: `o${i}`, domain_id: 'default', enabled: true });
    }
    net.heal();
    await settle();
    expect(fresh.sync.status().digest).toBe(old.sync.status().digest);
    expect(old.store.list('users').length).toBe(60);
    // It dropped the first-contact openings (bundles) and converged through its digest and full HEADS.
    expect(seen.openings).toBeGreaterThan(0);
    expect(seen.bundles).toBe(0);
  });
});

describe('catalog sync with version-1 peers (scoped HEADS, not grouped)', () => {
  const stores: ReplicatedCatalog[] = [];
  const syncs: CatalogSync[] = [];
  afterEach(async () => {
    for (const s of syncs.splice(0)) s.stop();
    for (const s of stores.splice(0)) await s.close();
  });

  it('exchange HEADS in the form each side reads, over the sparse overlay, and converge after a heal', async () => {
    const clock = manualClock();
    const net = createMemoryNetwork({ clock });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const heads = { grouped: 0, v1Scoped: 0, groupedToV1: 0 };
    const sites = [];
    for (const [i, id] of ids.entries()) {
      const store = await createReplicatedCatalog({
        siteId: id,
        persistence: memoryPersistence(),
        clock,
        log: silentLogger,
      });
      const endpoint = net.endpoint(id);
      const old = i % 2 === 1;
      // What version-1 sites receive: never grouped HEADS.
      const transport: Transport = {
        ...endpoint,
        self: endpoint.self,
        peers: () => endpoint.peers(),
        onMessage: (h) =>
          endpoint.onMessage((m) => {
            for (const f of framesOf(m.data)) {
              if (f.type !== FrameType.HEADS) continue;
              const p = json.decode<HeadsPayload>(f.payload);
              if (p.grouped) heads.grouped++;
              if (old && p.grouped) heads.groupedToV1++;
              if (old && p.scope) heads.v1Scoped++;
            }
            h(m);
          }),
        onPeer: (h) => endpoint.onPeer(h),
        send: (peer, data) => endpoint.send(peer, data),
        announce: (data) => endpoint.announce(data),
        close: () => endpoint.close(),
      };
      const sync = startCatalogSync({
        replica: store.replica,
        transport,
        clock,
        log: silentLogger,
        overlay: { fullMeshMax: 1, successors: 1 },
        ...(old ? { headsVersion: 1 as const } : {}),
      });
      stores.push(store);
      syncs.push(sync);
      sites.push({ id, store, sync });
    }
    const settle = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await net.settle();
        clock.advance(1000);
        await net.settle();
        for (const s of stores) await s.flush();
      }
      await net.settle();
    };
    await settle(2);
    net.partition([ids.slice(0, 5), ids.slice(5)]);
    for (const [i, s] of sites.entries()) {
      await s.store.put('users', { id: `u${i}`, name: `u${i}`, domain_id: 'default', enabled: true });
    }
    await settle(2);
    net.heal();
    await settle(4);
    const digests = new Set(sites.map((s) => s.sync.status().digest));
    expect(digests.size).toBe(1);
    for (const s of sites) expect(s.store.list('users').length, s.id).toBe(ids.length);
    expect(heads.groupedToV1).toBe(0);
    expect(heads.grouped).toBeGreaterThan(0);
    expect(heads.v1Scoped).toBeGreaterThan(0);
  });
});
