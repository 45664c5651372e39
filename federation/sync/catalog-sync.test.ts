import { afterEach, describe, expect, it } from 'vitest';
import type { User } from '../../shared/schemas/catalog/index.ts';
import { createTestFederation, expectConverged, type TestFederation } from '../testing/federation.ts';

const user = (id: string, name: string, extra: Partial<User> = {}): User => ({
  id,
  name,
  domain_id: 'default',
  enabled: true,
  ...extra,
});

describe('catalog sync between sites', () => {
  let fed: TestFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('replicates a write at A to B and C, notified there as remote', async () => {
    fed = await createTestFederation(['a', 'b', 'c']);
    const seen: string[] = [];
    fed.site('b').store.subscribe((c) => seen.push(`${c.collection}:${c.id}:${c.origin}`));
    await fed.site('a').store.put('users', user('u1', 'alice'));
    await fed.settle(1);
    expect(fed.site('b').store.get('users', 'u1')?.name).toBe('alice');
    expect(fed.site('c').store.get('users', 'u1')?.name).toBe('alice');
    expect(seen).toEqual(['users:u1:remote']);
    await fed.site('c').store.delete('users', 'u1');
    await fed.settle(1);
    expect(fed.site('a').store.get('users', 'u1')).toBeUndefined();
    expectConverged(fed);
  });

  it('keeps both sides of a partition writing and converges after heal, with conflicts in the ledger', async () => {
    fed = await createTestFederation(['a', 'b', 'c']);
    const { store: a } = fed.site('a');
    const { store: b } = fed.site('b');
    const { store: c } = fed.site('c');
    await a.put('users', user('shared', 'shared'));
    await a.put('users', user('doomed', 'doomed'));
    await fed.settle(1);

    fed.net.partition([['a', 'b'], ['c']]);
    await fed.settle(1);
    await a.put('users', user('u-a', 'carol'));
    await c.put('users', user('u-c', 'carol'));
    await b.put('users', user('shared', 'shared', { email: 'from-b' }));
    await c.put('users', user('shared', 'shared', { email: 'from-c' }));
    await a.delete('users', 'doomed');
    await c.put('users', user('doomed', 'doomed', { enabled: false }));
    await c.put('flavors', {
      id: 'f1',
      name: 'tiny',
      vcpus: 1,
      ram: 512,
      disk: 1,
      ephemeral: 0,
      swap: 0,
      rxtx_factor: 1,
      is_public: true,
      disabled: false,
      description: null,
      extra_specs: {},
      created_at: 0,
    });
    await fed.settle(2);
    expect(b.get('users', 'u-a')).toBeDefined();
    expect(b.get('users', 'u-c')).toBeUndefined();
    expect(c.get('flavors', 'f1')).toBeDefined();

    fed.net.heal();
    await fed.settle();
    expectConverged(fed);
    for (const s of [a, b, c]) {
      expect(s.get('users', 'u-a')?.name).toBe('carol');
      expect(s.get('users', 'u-c')?.name).toBe('carol');
      expect(s.get('flavors', 'f1')?.name).toBe('tiny');
    }
    const ledgers = [a, b, c].map((s) =>
      s
        .conflicts()
        .map((e) => `${e.kind}:${e.record_id}:${e.winner.site_id}:${e.losers.map((l) => l.site_id).join(',')}`)
        .sort(),
    );
    expect(ledgers[1]).toEqual(ledgers[0]);
    expect(ledgers[2]).toEqual(ledgers[0]);
    const kinds = a.conflicts().map((e) => `${e.kind}:${e.collection}:${e.record_id}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'duplicate_name:users:u-a',
        'concurrent_update:users:shared',
        'update_after_delete:users:doomed',
      ]),
    );
    const dup = a.conflicts().find((e) => e.kind === 'duplicate_name');
    expect(dup?.losers.map((l) => l.record_id)).toEqual(['u-c']);
    const shared = a.get('users', 'shared')?.email;
    const upd = a.conflicts().find((e) => e.record_id === 'shared');
    expect(shared).toBe(upd?.winner.site_id === 'b' ? 'from-b' : 'from-c');
  });

  it('catches up a long-absent site from snapshots and resumes after a restart', async () => {
    fed = await createTestFederation(['a', 'b', 'c']);
    await fed.stop('c');
    for (let i = 0; i < 300; i++) {
      await fed.site(i % 2 ? 'a' : 'b').store.put('users', user(`u${i}`, `user${i}`));
    }
    await fed.settle(1);
    const before = fed.net.stats().sent;
    await fed.restart('c');
    await fed.settle(2);
    expectConverged(fed);
    expect(fed.site('c').store.list('users')).toHaveLength(300);
    // One snapshot per document and sender plus a few heads/sync frames: bounded by documents, not by the 300 changes.
    const docs = fed.site('a').store.replica.docs().length;
    expect(fed.net.stats().sent - before).toBeLessThan(10 * docs);
  });

  it('repairs lost messages by anti-entropy', async () => {
    let n = 0;
    fed = await createTestFederation(['a', 'b'], {
      network: { random: () => (n++ % 3 === 0 ? 0 : 1), defaults: { drop: 0.5 } },
    });
    for (let i = 0; i < 20; i++) await fed.site('a').store.put('users', user(`u${i}`, `n${i}`));
    fed.net.link('a', 'b', { drop: 0 });
    await fed.settle(3);
    expectConverged(fed);
    expect(fed.site('b').store.list('users')).toHaveLength(20);
  });

  it('relays through a third site when a link silently loses everything', async () => {
    fed = await createTestFederation(['a', 'b', 'c']);
    fed.net.link('a', 'c', { drop: 1 });
    await fed.site('a').store.put('users', user('u1', 'alice'));
    await fed.site('c').store.put('users', user('u2', 'bob'));
    await fed.settle(2);
    expectConverged(fed);
    expect(fed.site('c').store.get('users', 'u1')?.name).toBe('alice');
    expect(fed.site('a').store.get('users', 'u2')?.name).toBe('bob');
  });

  it('ignores malformed frames and bad sync messages', async () => {
    fed = await createTestFederation(['a', 'b']);
    const evil = fed.net.endpoint('evil');
    await fed.settle(1);
    await evil.send('a', new Uint8Array([9, 9, 9]));
    await evil.send('a', new Uint8Array([3, 0, 1, 120, 1, 2, 3]));
    await evil.send('a', new Uint8Array([3, 0, 21, ...new TextEncoder().encode('v1/users/%2A/0xxxxxxx'), 0, 0]));
    await fed.site('a').store.put('users', user('u1', 'alice'));
    await fed.settle(1);
    expect(fed.site('b').store.get('users', 'u1')?.name).toBe('alice');
    await evil.close();
  });

  it('delivers over links with latency on the manual clock', async () => {
    fed = await createTestFederation(['a', 'b'], { network: { defaults: { latencyMs: 40 } }, intervalMs: 100 });
    await fed.site('a').store.put('users', user('u1', 'alice'));
    await fed.settle(1);
    await fed.settle(4);
    expect(fed.site('b').store.get('users', 'u1')?.name).toBe('alice');
  });
});
