import { describe, expect, it } from 'vitest';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { Transport, TransportMessage } from '../../shared/ports/transport.ts';
import { memoryPersistence } from '../store/memory-persistence.ts';
import { createReplicatedCatalog } from '../store/replicated-catalog.ts';
import { createTestFederation, expectConverged } from '../testing/federation.ts';
import { createMemoryNetwork } from '../transports/memory.ts';
import { type AuthenticatedTransport, authenticateTransport } from './authenticated-transport.ts';
import { startCatalogSync } from './catalog-sync.ts';
import { acceptSeq, openEnvelope, sealEnvelope } from './envelope.ts';
import { derivedTestSiteKey, generateSiteKey, type SiteKey, siteKeyFromProtobuf, verifySignature } from './site-key.ts';
import { catalogKeyLookup, publishSiteKey } from './site-keys.ts';

const enc = new TextEncoder();
const text = (m: TransportMessage) => new TextDecoder().decode(m.data);

function setup(options: { joinSecret?: string } = {}) {
  const clock = manualClock();
  const net = createMemoryNetwork({ clock });
  const keys = new Map<string, SiteKey>();
  const known = new Map<string, Uint8Array>();
  const raw = new Map<string, Transport>();
  const received = new Map<string, TransportMessage[]>();
  const wrap = (id: string, opts: { joinSecret?: string } = options): AuthenticatedTransport => {
    const key = generateSiteKey();
    keys.set(id, key);
    const inner = net.endpoint(id);
    raw.set(id, inner);
    const t = authenticateTransport({
      inner,
      key,
      clock,
      log: silentLogger,
      knownKey: (s) => known.get(s),
      ...(opts.joinSecret ? { joinSecret: opts.joinSecret } : {}),
    });
    const got: TransportMessage[] = [];
    received.set(id, got);
    t.onMessage((m) => got.push(m));
    return t;
  };
  const rawOf = (id: string) => {
    const t = raw.get(id);
    if (!t) throw new Error(id);
    return t;
  };
  return { clock, net, keys, known, wrap, rawOf, got: (id: string) => received.get(id) ?? [] };
}

describe('authenticated transport', () => {
  it('delivers signed direct messages and announcements between sites', async () => {
    const s = setup();
    const a = s.wrap('a');
    const b = s.wrap('b');
    await a.send('b', enc.encode('hello'));
    a.announce(enc.encode('digest'));
    await s.net.settle();
    expect(s.got('b').map((m) => [m.from, m.channel, text(m)])).toEqual([
      ['a', 'direct', 'hello'],
      ['a', 'announce', 'digest'],
    ]);
    expect(b.authStats()).toEqual({ accepted: 2, rejected: {} });
    expect(b.keyOf('a')).toEqual(s.keys.get('a')?.publicKey); // pinned on first use
  });

  it('drops unsigned, spoofed, forged, misrouted and replayed messages, and counts them', async () => {
    const s = setup();
    const a = s.wrap('a');
    const b = s.wrap('b');
    s.wrap('c');
    const mallory = generateSiteKey();
    const captured: Uint8Array[] = [];
    s.rawOf('b').onMessage((m) => captured.push(m.data));
    await a.send('b', enc.encode('genuine'));
    await s.net.settle();
    const genuine = captured[0];
    if (!genuine) throw new Error('nothing captured');

    const seal = (sender: string, recipient: string, key: SiteKey, seq: number) =>
      sealEnvelope(
        { channel: 'direct', sender, recipient, epoch: 1, seq, publicKey: key.publicKey, payload: enc.encode('evil') },
        key.sign,
      );
    const c = s.rawOf('c');
    await c.send('b', enc.encode('unsigned frame')); // malformed
    await c.send('b', seal('a', 'b', mallory, 1)); // c claims to be a
    await c.send('b', seal('c', 'b', s.keys.get('c') ?? mallory, 1)); // genuine c: accepted, c pinned
    await c.send('b', seal('c', 'b', mallory, 2)); // another key for c
    const tampered = new Uint8Array(genuine);
    const at = tampered.length - 70;
    tampered[at] = (tampered[at] ?? 0) ^ 1;
    await s.rawOf('a').send('b', tampered); // a's bytes altered in flight
    await s.rawOf('a').send('b', genuine); // replayed
    await s.rawOf('a').send('c', genuine); // replayed to another site
    await s.net.settle();

    expect(s.got('b').map(text)).toEqual(['genuine', 'evil']);
    expect(s.got('c')).toEqual([]);
    expect(b.authStats().rejected).toEqual({
      malformed: 1,
      spoofed_sender: 1,
      key_mismatch: 1,
      bad_signature: 1,
      replayed: 1,
    });
  });

  it('refuses a site key other than the replicated one', async () => {
    const s = setup();
    const a = s.wrap('a');
    const b = s.wrap('b');
    s.known.set('a', generateSiteKey().publicKey); // the catalog says a's key is another one
    await a.send('b', enc.encode('x'));
    await s.net.settle();
    expect(s.got('b')).toEqual([]);
    expect(b.authStats().rejected).toEqual({ key_mismatch: 1 });
  });

  it('with a join secret, accepts an unknown site only with a proof made with it', async () => {
    const s = setup({ joinSecret: 'federation-secret-0123456789' });
    const a = s.wrap('a');
    const b = s.wrap('b');
    const outsider = s.wrap('x', { joinSecret: 'another-secret-0123456789' });
    const stranger = s.wrap('y', {});
    await a.send('b', enc.encode('member'));
    await outsider.send('b', enc.encode('outsider'));
    await stranger.send('b', enc.encode('stranger'));
    await s.net.settle();
    expect(s.got('b').map(text)).toEqual(['member']);
    expect(b.authStats().rejected).toEqual({ not_introduced: 2 });
    // Once its key is replicated, a site needs no proof.
    s.known.set('y', s.keys.get('y')?.publicKey ?? new Uint8Array());
    await stranger.send('b', enc.encode('now known'));
    await s.net.settle();
    expect(s.got('b').map(text)).toEqual(['member', 'now known']);
  });

  it('a restarted sender starts a newer session even on a clock that did not move', async () => {
    const s = setup();
    const a1 = s.wrap('a');
    s.wrap('b');
    await a1.send('b', enc.encode('one'));
    await s.net.settle();
    await a1.close();
    const a2 = authenticateTransport({
      inner: s.net.endpoint('a'),
      key: s.keys.get('a') ?? generateSiteKey(),
      clock: s.clock,
      log: silentLogger,
      knownKey: () => undefined,
    });
    await a2.send('b', enc.encode('two'));
    await s.net.settle();
    expect(s.got('b').map(text)).toEqual(['one', 'two']);
  });
});

describe('envelope', () => {
  it('round-trips and refuses truncation', () => {
    const key = generateSiteKey();
    const sealed = sealEnvelope(
      {
        channel: 'announce',
        sender: 's1',
        recipient: '',
        epoch: 7,
        seq: 9,
        publicKey: key.publicKey,
        payload: enc.encode('p'),
      },
      key.sign,
    );
    const e = openEnvelope(sealed);
    expect(e && { ...e, payload: text({ from: '', channel: 'direct', data: e.payload }) }).toMatchObject({
      channel: 'announce',
      sender: 's1',
      epoch: 7,
      seq: 9,
      payload: 'p',
    });
    expect(openEnvelope(sealed.subarray(0, 40))).toBeUndefined();
  });

  it('keeps a sliding anti-replay window', () => {
    let w = acceptSeq(undefined, 5, 1);
    for (const seq of [3, 2, 70]) w = acceptSeq(w, 5, seq);
    expect(w?.top).toBe(70);
    expect(acceptSeq(w, 5, 3)).toBeUndefined(); // fell out of the window
    expect(acceptSeq(w, 5, 70)).toBeUndefined(); // seen
    expect(acceptSeq(w, 5, 69)).toBeDefined(); // in the window, unseen
    expect(acceptSeq(w, 4, 100)).toBeUndefined(); // older session
    expect(acceptSeq(w, 6, 1)?.epoch).toBe(6); // restarted sender
  });
});

describe('authenticated catalog sync', () => {
  it('converges between members and keeps a site with the wrong join secret out of the catalog', async () => {
    const secret = 'federation-secret-0123456789';
    const fed = await createTestFederation(['a', 'b'], { auth: { joinSecret: secret } });
    // An outsider on the same network, with its own catalog and a wrong secret.
    const store = await createReplicatedCatalog({
      siteId: 'm',
      persistence: memoryPersistence(),
      clock: fed.clock,
      log: silentLogger,
    });
    const key = generateSiteKey();
    await publishSiteKey(store, 'm', key.publicKey, 0);
    const auth = authenticateTransport({
      inner: fed.net.endpoint('m'),
      key,
      clock: fed.clock,
      log: silentLogger,
      knownKey: catalogKeyLookup(store),
      joinSecret: 'wrong-secret-0123456789abc',
    });
    const sync = startCatalogSync({ replica: store.replica, transport: auth, clock: fed.clock, log: silentLogger });
    try {
      await store.put('flavors', flavor('evil', 'from-m'));
      await fed.site('a').store.put('flavors', flavor('f1', 'a-flavor'));
      await fed.settle();
      sync.announce();
      await fed.settle();
      expect(fed.site('b').store.get('flavors', 'f1')?.name).toBe('a-flavor');
      expectConverged(fed);
      for (const id of ['a', 'b']) {
        expect(fed.site(id).store.get('flavors', 'evil')).toBeUndefined();
        expect(fed.site(id).auth?.authStats().rejected.not_introduced).toBeGreaterThan(0);
      }
      expect(store.get('flavors', 'f1')).toBeUndefined();
      expect(auth.authStats().accepted).toBe(0);
      expect(fed.site('b').auth?.authStats().accepted).toBeGreaterThan(0);
    } finally {
      sync.stop();
      await auth.close();
      await store.close();
      await fed.close();
    }
  });
});

function flavor(id: string, name: string) {
  return {
    id,
    name,
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
    updated_at: 0,
  };
}

describe('derived test keys', () => {
  it('are stable per name, differ between names, and sign verifiably', () => {
    const a1 = derivedTestSiteKey('a');
    expect(derivedTestSiteKey('a').publicKey).toEqual(a1.publicKey);
    expect(derivedTestSiteKey('b').publicKey).not.toEqual(a1.publicKey);
    const data = enc.encode('x');
    expect(verifySignature(a1.publicKey, data, a1.sign(data))).toBe(true);
    expect(siteKeyFromProtobuf(a1.protobuf).publicKey).toEqual(a1.publicKey);
  });
});
