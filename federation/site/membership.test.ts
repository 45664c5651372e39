import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog, type ReplicatedCatalog } from '../store/replicated-catalog.ts';
import { type CatalogSync, startCatalogSync } from '../sync/catalog-sync.ts';
import { createMemoryNetwork } from '../transports/memory.ts';
import { type Membership, type MembershipOptions, startMembership } from './membership.ts';
import { isolatedTransport } from './open-transport.ts';

const HEARTBEAT = 5000;

async function setup(ids: string[], extra: Partial<MembershipOptions> = {}) {
  const clock = manualClock();
  const net = createMemoryNetwork({ clock });
  const sites = new Map<string, { store: ReplicatedCatalog; sync: CatalogSync; members: Membership }>();
  for (const id of ids) {
    const store = await createReplicatedCatalog({
      siteId: id,
      persistence: memoryPersistence(),
      clock,
      log: silentLogger,
    });
    const transport = net.endpoint(id);
    const sync = startCatalogSync({ replica: store.replica, transport, clock, log: silentLogger });
    const members = startMembership({
      catalog: store,
      transport,
      clock,
      log: silentLogger,
      self: { id, name: id, region: `r-${id}`, url: `http://${id}` },
      localDigest: () => sync.status().digest,
      heartbeatMs: HEARTBEAT,
      ...extra,
    });
    await members.heartbeat();
    sites.set(id, { store, sync, members });
  }
  const site = (id: string) => {
    const s = sites.get(id);
    if (!s) throw new Error(id);
    return s;
  };
  const settle = async (ticks = 3) => {
    for (let i = 0; i < ticks; i++) {
      await net.settle();
      clock.advance(1000);
      await net.settle();
      for (const s of sites.values()) await s.store.flush();
    }
    await net.settle();
  };
  const close = async () => {
    for (const s of sites.values()) {
      s.members.stop();
      s.sync.stop();
      await s.store.close();
    }
  };
  return { clock, net, site, settle, close };
}

describe('membership', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('publishes each site record and derives up, down and replication state from the transport', async () => {
    const f = await setup(['a', 'b', 'c']);
    close = f.close;
    await f.settle();
    const a = f.site('a');
    expect(a.store.list('sites').map((s) => `${s.id}@${s.region}`)).toEqual(['a@r-a', 'b@r-b', 'c@r-c']);
    expect(a.members.peers().map((p) => [p.id, p.status, p.replication.in_sync])).toEqual([
      ['b', 'up', true],
      ['c', 'up', true],
    ]);
    expect(a.members.health()).toEqual({ down: 0, staleSince: undefined });

    // A local write a peer has not announced yet: not in sync until the next exchange.
    await a.store.put('domains', { id: 'd1', name: 'd1', description: '', enabled: true });
    expect(a.members.peer('b')?.replication.in_sync).toBe(false);
    expect(a.members.peer('b')?.replication.out_of_sync_since).not.toBeNull();
    await f.settle();
    expect(a.members.peer('b')?.replication).toMatchObject({ in_sync: true, out_of_sync_since: null });

    const cut = f.clock.now();
    f.net.partition([['a'], ['b', 'c']]);
    await f.net.settle();
    expect(a.members.peers().map((p) => [p.id, p.status, p.reachable, p.down_since])).toEqual([
      ['b', 'down', false, cut],
      ['c', 'down', false, cut],
    ]);
    expect(a.members.health()).toEqual({ down: 2, staleSince: cut });
    expect(f.site('b').members.peer('c')?.status).toBe('up');

    f.net.heal();
    await f.settle();
    expect(a.members.health().down).toBe(0);
  });

  it('refreshes last_seen once per heartbeat and keeps created_at', async () => {
    const f = await setup(['a', 'b']);
    close = f.close;
    await f.settle();
    const created = f.site('a').store.get('sites', 'a')?.created_at;
    f.clock.advance(HEARTBEAT);
    await f.settle(1);
    const seen = f.site('b').store.get('sites', 'a');
    expect(seen?.created_at).toBe(created);
    expect(seen?.last_seen).toBeGreaterThan(created ?? 0);
    await f.site('a').members.setUrl('http://a:5001');
    await f.settle(1);
    expect(f.site('b').store.get('sites', 'a')?.url).toBe('http://a:5001');
  });

  it('says unknown for a peer known only from the catalog, then down since start once it stays silent', async () => {
    const f = await setup(['a', 'b']);
    close = f.close;
    await f.settle();
    const start = f.clock.now();
    const alone = startMembership({
      catalog: f.site('a').store,
      transport: isolatedTransport('a'),
      clock: f.clock,
      log: silentLogger,
      self: { id: 'a', name: 'a', region: 'r-a', url: 'http://a' },
      localDigest: () => '',
      heartbeatMs: HEARTBEAT,
    });
    expect(alone.peer('b')).toMatchObject({ status: 'unknown', last_contact: null, down_since: null });
    expect(alone.health().down).toBe(0);
    f.clock.advance(HEARTBEAT * 3);
    expect(alone.peer('b')).toMatchObject({ status: 'down', down_since: start });
    expect(alone.health()).toEqual({ down: 1, staleSince: start });
    alone.stop();
  });

  it('tells the truth over the sparse sync overlay: liveness of every peer, replication only where digests flow', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const f = await setup(ids, { digestStaleMs: 10_000 });
    close = f.close;
    await f.settle(12);
    const a = f.site('s00');
    const { neighbours, fullMesh } = a.sync.status();
    expect(fullMesh).toBe(false);
    const others = ids.filter((id) => id !== 's00' && !neighbours.includes(id));
    expect(others.length).toBeGreaterThan(0);
    const peers = a.members.peers();
    expect(peers.map((p) => p.status)).toEqual(ids.slice(1).map(() => 'up'));
    // Neighbours (and peers that picked this site, or probed it lately) send digests; the others are not compared
    // within digestStaleMs, and say so rather than report a stale verdict.
    for (const p of peers) if (neighbours.includes(p.id)) expect(p.replication.in_sync, p.id).toBe(true);
    expect(peers.some((p) => p.replication.in_sync === null && p.replication.out_of_sync_since === null)).toBe(true);
    expect(a.members.health().down).toBe(0);

    // Cut s00 off: every peer, neighbour or not, is down at once; the rest still see each other up.
    const cut = f.clock.now();
    f.net.partition([['s00'], ids.slice(1)]);
    await f.net.settle();
    expect(a.members.health()).toEqual({ down: 11, staleSince: cut });
    expect(f.site('s05').members.peer('s00')?.status).toBe('down');
    expect(f.site('s05').members.health()).toEqual({ down: 1, staleSince: cut });
    f.net.heal();
    await f.settle(2);
    expect(a.members.health().down).toBe(0);
  });

  it('stretches the heartbeat in a large federation so last_seen writes do not grow with n²', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const f = await setup(ids, { heartbeatSitesPerPeriod: 2 }); // 5 sites, 2 per period: every 3rd period
    close = f.close;
    await f.settle();
    const seen = () => f.site('b').store.get('sites', 'a')?.last_seen;
    const first = seen();
    f.clock.advance(HEARTBEAT);
    await f.settle(1);
    expect(seen()).toBe(first);
    f.clock.advance(HEARTBEAT * 2);
    await f.settle(1);
    expect(seen()).toBeGreaterThan(first ?? 0);
  });
});
