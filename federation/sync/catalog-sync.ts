import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { PeerEvent, Transport, TransportMessage } from '../../shared/ports/transport.ts';
import { newSyncState, type SyncState } from '../automerge/backend.ts';
import { bucketOf, groupOf, HEAD_BUCKETS, headsHash, headsIndex } from './heads.ts';
import { createOutbox } from './outbox.ts';
import { type Overlay, type OverlayOptions, overlayOf, picks } from './overlay.ts';
import { relayTargets } from './relay.ts';
import type { DocReplica } from './replica.ts';
import { encodeFrame, type Frame, FrameType, framesOf, type HeadsPayload, json } from './wire.ts';

/** Options of {@link startCatalogSync}. */
export interface CatalogSyncOptions {
  replica: DocReplica;
  transport: Transport;
  clock: Clock;
  log: Logger;
  /** Anti-entropy period: every tick announces a digest of all heads (default 1000 ms). */
  intervalMs?: number;
  /** A peer this many changes behind on a document gets the whole document instead of sync rounds (default 200). */
  snapshotBehind?: number;
  /** Which peers get pushes and digests (overlay.ts): every peer up to `fullMeshMax` sites, else a sparse ring. */
  overlay?: OverlayOptions;
  /** Changes wait this long (clock ms) before being pushed, so a burst costs one round per peer (default 0). */
  pushDelayMs?: number;
  /**
   * Sparse overlay only: an unchanged digest is re-sent to a neighbour every this many ticks (default 5); a changed
   * one goes at the next tick (a receiver that differs asks for HEADS). One non-neighbour is probed as often.
   */
  quietTicks?: number;
  /** Automerge sync states kept per peer, least recently used evicted (default 128 documents). */
  maxStatesPerPeer?: number;
  /**
   * Sparse overlay only: after merging a repair (changes that came without a relay range: a HEADS exchange, an older
   * peer), the changed digest goes to the neighbours this long after (clock ms; default a quarter of the period, at
   * most 250 ms), instead of the changes being pushed to every neighbour: the ones that differ pull what they lack.
   */
  repairDigestMs?: number;
  /** Testing only: speak scoped HEADS of version 1 (no grouped HEADS, no `v: 2`), as sites before them did. */
  headsVersion?: 1 | 2;
}

/** A running sync engine. */
export interface CatalogSync {
  /** Announces the digest now (also done every tick). */
  announce(): void;
  /**
   * Connected peers and the digest of local heads: the grouped one (`g2:…`), as peers that read grouped HEADS
   * send it in DIGEST frames (older peers send the whole-catalog text).
   */
  status(): { peers: string[]; neighbours: string[]; fullMesh: boolean; docs: number; digest: string };
  /** Sync frames and transport messages sent so far (messages < frames when bundles are used). */
  traffic(): { frames: number; messages: number };
  stop(): void;
}

/**
 * Keeps a catalog replica in sync with the reachable peers: Automerge's sync protocol per (peer, document) over
 * the transport; local and merged changes are pushed at once to the overlay neighbours (every peer in a small
 * federation, a sparse ring with fingers in a large one: overlay.ts), which forward what they merge within the ring
 * range it came with (relay.ts), or to all their neighbours; a periodic digest (an announcement in the full mesh, direct frames to neighbours otherwise) finds
 * peers that diverged (lost messages, new documents) and a HEADS exchange then resyncs only the documents that
 * differ. A document a peer lacks, or lags far behind on, is sent whole (SNAP) rather than over many round trips.
 * Frames for one peer leave together, as one BUNDLE message when the peer reads them (outbox.ts).
 * A peer going down drops its sync states; a new neighbour (or one back up) starts with a HEADS exchange.
 */
export function startCatalogSync(options: CatalogSyncOptions): CatalogSync {
  const { replica, transport, log } = options;
  const behind = options.snapshotBehind ?? 200;
  const quiet = Math.max(1, options.quietTicks ?? 5);
  const pushDelay = options.pushDelayMs ?? 0;
  const maxStates = Math.max(1, options.maxStatesPerPeer ?? 128);
  const repairDelay = Math.max(0, options.repairDigestMs ?? Math.min(250, (options.intervalMs ?? 1000) / 4));
  const states = new Map<string, Map<string, SyncState>>();
  /** peer -> docs whose exchange has nothing more to say (evictable), least recently finished first. */
  const idle = new Map<string, Set<string>>();
  /**
   * doc -> what the next push owes: peers to skip (they sent us the change being pushed) and the ring range to
   * cover (relay.ts; undefined = every neighbour).
   */
  const dirty = new Map<string, { skip: Set<string>; limit: string | undefined }>();
  let mergingFrom: string | undefined;
  /** The RANGE that came with the SYNC being merged, and the last RANGE frame read in the current message. */
  let mergingRange: string | undefined;
  let range: { doc: string; limit: string } | undefined;
  /** peer -> doc -> the range of the exchange under way (see pushSync). */
  const ranges = new Map<string, Map<string, string>>();
  let flushQueued = false;
  let stopped = false;

  const stateOf = (peer: string, doc: string, fresh = false): SyncState => {
    let perPeer = states.get(peer);
    if (!perPeer) {
      perPeer = new Map();
      states.set(peer, perPeer);
    }
    let s = perPeer.get(doc);
    if (s && fresh) {
      s.free();
      s = undefined;
    }
    if (!s) {
      s = newSyncState();
      perPeer.set(doc, s);
    }
    idle.get(peer)?.delete(doc);
    // Bounded: a site relays thousands of documents in a large federation. Only states whose exchange finished are
    // evicted (evicting one under way would restart it, and exchanges could evict each other forever).
    const done = idle.get(peer);
    if (perPeer.size > maxStates && done) {
      for (const d of done) {
        if (perPeer.size <= maxStates) break;
        perPeer.get(d)?.free();
        perPeer.delete(d);
        done.delete(d);
      }
    }
    return s;
  };
  const dropStates = (peer: string, doc?: string) => {
    const perPeer = states.get(peer);
    if (!perPeer) return;
    if (doc === undefined) idle.delete(peer);
    else idle.get(peer)?.delete(doc);
    for (const [d, s] of perPeer) {
      if (doc !== undefined && d !== doc) continue;
      s.free();
      perPeer.delete(d);
    }
  };

  const outbox = createOutbox({
    transport,
    log,
    onFailed: (peer, docs) => {
      for (const doc of docs) dropStates(peer, doc);
    },
  });
  const send = (peer: string, type: FrameType, doc: string, payload: Uint8Array, wrap = false) =>
    outbox.queue(peer, type, doc, payload, wrap);
  /**
   * Pushes a sync message. `range` (relay.ts): the receiver forwards the changes up to that site only; '' = to every
   * neighbour. It holds for the rest of this exchange (the changes may travel in a later round than the push); a
   * push without one (a reply) reuses it, and it ends when the exchange has nothing more to say.
   */
  const pushSync = (peer: string, doc: string, fresh = false, range?: string) => {
    const message = replica.generateSyncMessage(doc, stateOf(peer, doc, fresh));
    let perPeer = ranges.get(peer);
    if (!message) {
      perPeer?.delete(doc);
      let done = idle.get(peer);
      if (!done) {
        done = new Set();
        idle.set(peer, done);
      }
      done.add(doc); // oldest first: a Set keeps insertion order
      return;
    }
    if (range !== undefined) {
      if (!perPeer) {
        perPeer = new Map();
        ranges.set(peer, perPeer);
      }
      perPeer.set(doc, range);
    }
    const r = range ?? perPeer?.get(doc);
    if (r && outbox.bundles(peer)) send(peer, FrameType.RANGE, doc, json.bytes(r));
    send(peer, FrameType.SYNC, doc, message);
  };
  const pushSnapshot = (peer: string, doc: string) => {
    const bytes = replica.snapshot(doc);
    if (bytes) send(peer, FrameType.SNAP, doc, bytes);
  };

  const index = headsIndex(replica);
  /** Peers that said they read grouped HEADS (kept across sessions, as what a peer reads is: outbox.ts). */
  const readsGrouped = new Set<string>();
  /** Peers whose HEADS said they read no bundles (the oldest): they get full HEADS. */
  const plain = new Set<string>();
  const v2 = options.headsVersion !== 1;
  const version = v2 ? ({ v: 2 } as const) : {};
  /**
   * The digest a peer compares: the grouped one (cheap, incremental) for peers that read grouped HEADS, the whole
   * text for older ones (and announcements while some peer is not known to read them).
   */
  const digestFor = (peer?: string) =>
    (peer === undefined ? transport.peers().every((p) => readsGrouped.has(p)) : readsGrouped.has(peer))
      ? index.groupedDigest()
      : index.digest();
  const sendDigest = (peer: string) => {
    const mine = digestFor(peer);
    send(peer, FrameType.DIGEST, '', json.bytes(mine));
    digestSent.set(peer, { digest: mine, tick: ticks });
  };
  /**
   * HEADS to `peer`: every document's (older peers, first contact), or — to peers that read scoped HEADS — those of
   * the `scope` buckets plus every bucket's digest (none when opening an exchange: the answer names what differs);
   * grouped (`grouped`: buckets by collection and owner, heads digests instead of heads) to peers that read them.
   */
  const sendHeads = (peer: string, reply: boolean, scope?: number[], grouped = readsGrouped.has(peer)) => {
    let payload: HeadsPayload;
    if (reply && scope === undefined && !outbox.bundles(peer) && !plain.has(peer)) {
      // First contact: a scoped opening inside a BUNDLE, not every document's heads (~300 KB per link at 1,000
      // sites, all at once when a network opens). Peers that read no bundles drop it; their digest differs from
      // ours at the next tick and they open with full HEADS, answered in kind.
      payload = { reply, docs: {}, bundles: true, ...version, scope: [], buckets: index.buckets(false) };
      send(peer, FrameType.HEADS, '', json.encode(payload), true);
      return;
    }
    if (scope === undefined && !outbox.bundles(peer))
      payload = { reply, docs: index.heads(), bundles: true, ...version };
    else if (grouped) {
      payload = {
        reply,
        docs: {},
        hashes: scope?.length ? index.hashes(new Set(scope)) : {},
        bundles: true,
        v: 2,
        grouped: true,
        scope: scope ?? [],
        buckets: index.buckets(true),
      };
    } else {
      payload = {
        reply,
        docs: scope?.length ? index.heads(new Set(scope)) : {},
        bundles: true,
        ...version,
        scope: scope ?? [],
        buckets: index.buckets(false),
      };
    }
    send(peer, FrameType.HEADS, '', json.encode(payload));
  };

  const onHeads = (peer: string, payload: HeadsPayload) => {
    outbox.setBundles(peer, payload.bundles === true);
    if (payload.bundles === true) plain.delete(peer);
    else plain.add(peer);
    if (v2 && payload.bundles === true && payload.v === 2) readsGrouped.add(peer);
    else readsGrouped.delete(peer);
    const scope = payload.scope ? new Set(payload.scope) : undefined;
    // A scoped opening while this site is busy repairing with another neighbour: answered later by a digest (the
    // peer opens again if it still differs), so a heal costs each site one repair at a time, not one per neighbour.
    if (payload.reply && scope?.size === 0 && busy()) return defer(peer);
    const grouped = scope !== undefined && payload.grouped === true;
    const hashes = grouped ? (payload.hashes ?? {}) : {};
    const mine = scope ? index.members(scope, grouped) : replica.docs();
    let differs = false;
    /** Documents they hold and we do not: our answer lists their buckets, so they send them whole. */
    const lacking: string[] = [];
    for (const doc of new Set([...mine, ...Object.keys(payload.docs), ...Object.keys(hashes)])) {
      const ours = replica.heads(doc).toSorted();
      const hashed = hashes[doc];
      const [theirHeads = [], theirCount = 0] = hashed ? [] : (payload.docs[doc] ?? []);
      const count = hashed ? hashed[1] : theirCount;
      const theyHold = hashed !== undefined || theirHeads.length > 0;
      if (
        hashed ? ours.length > 0 && headsHash(ours) === hashed[0] : ours.join(',') === theirHeads.toSorted().join(',')
      )
        continue;
      differs = true;
      if (ours.length === 0) {
        lacking.push(doc);
        continue;
      }
      lastRepair = options.clock.now();
      if (!theyHold || replica.changeCount(doc) - count > behind) pushSnapshot(peer, doc);
      // An answer (no reply wanted) comes from a peer that saw our heads and already started syncing what both hold:
      // a second exchange of the same document from this side would only repeat its rounds.
      else if (payload.reply) pushSync(peer, doc, true, '');
    }
    if (!payload.reply) return;
    const theirs = payload.buckets;
    if (scope && theirs?.length === HEAD_BUCKETS) {
      const ours = index.buckets(grouped);
      const diff = ours.flatMap((d, b) => (d === theirs[b] ? [] : [b]));
      // An opening (no docs in scope) gets our docs of the differing buckets and asks for theirs in return.
      if (diff.length > 0) {
        if (scope.size === 0) lastRepair = options.clock.now();
        return sendHeads(peer, scope.size === 0, diff, grouped);
      }
    } else if (differs) {
      if (!outbox.bundles(peer)) return sendHeads(peer, false);
      // A full HEADS from a peer that reads scoped ones: the buckets of what we lack are enough for it.
      if (lacking.length > 0) {
        const g = readsGrouped.has(peer);
        return sendHeads(peer, false, [...new Set(lacking.map(g ? groupOf : bucketOf))], g);
      }
    }
    // Nothing differs: a newer peer still learns that this site reads bundles (and RANGE frames) from the answer.
    if (payload.bundles) {
      send(peer, FrameType.HEADS, '', json.encode({ reply: false, docs: {}, bundles: true, ...version, scope: [] }));
    }
  };

  const onFrame = (peer: string, frame: Frame) => {
    switch (frame.type) {
      case FrameType.DIGEST: {
        const theirs = json.text(frame.payload);
        if (theirs !== (theirs.startsWith('g2:') ? index.groupedDigest() : index.digest())) sendHeads(peer, true);
        return;
      }
      case FrameType.HEADS:
        onHeads(peer, json.decode<HeadsPayload>(frame.payload));
        return;
      case FrameType.RANGE:
        range = { doc: frame.doc, limit: json.text(frame.payload) };
        return;
      case FrameType.SYNC: {
        const state = stateOf(peer, frame.doc);
        mergingFrom = peer;
        mergingRange = range?.doc === frame.doc && range.limit !== '' ? range.limit : undefined;
        range = undefined;
        try {
          replica.receiveSyncMessage(frame.doc, state, frame.payload);
        } catch (err) {
          log.warn({ err, peer, doc: frame.doc }, 'catalog sync: bad sync message; state reset');
          dropStates(peer, frame.doc);
          return;
        } finally {
          mergingFrom = undefined;
          mergingRange = undefined;
        }
        pushSync(peer, frame.doc);
        return;
      }
      case FrameType.SNAP:
        mergingFrom = peer;
        try {
          replica.mergeSnapshot(frame.doc, frame.payload);
        } finally {
          mergingFrom = undefined;
        }
        return;
    }
  };

  const onMessage = (m: TransportMessage) => {
    if (stopped) return;
    const frames = framesOf(m.data);
    if (frames.length === 0) {
      log.debug({ peer: m.from }, 'catalog sync: unknown frame ignored');
      return;
    }
    if (m.data[0] === FrameType.BUNDLE) outbox.setBundles(m.from, true);
    if (!inRing.has(m.from)) scheduleRecompute(); // a peer whose `up` this site was not told of
    range = undefined; // a RANGE applies to the next SYNC of the same message only
    for (const frame of frames) {
      try {
        onFrame(m.from, frame);
      } catch (err) {
        log.warn({ err, peer: m.from, type: frame.type, doc: frame.doc }, 'catalog sync: frame failed');
      }
    }
  };

  // The overlay: recomputed once per burst of peer events (a heal brings hundreds at once).
  let overlay: Overlay = { neighbours: [], ring: [], fullMesh: true };
  let inRing = new Set<string>();
  let neighbours = new Set<string>();
  /** Peers that came up (a new session) since the last recompute: they get a HEADS exchange if neighbours. */
  const freshPeers = new Set<string>();
  /** The digest last sent to each neighbour (overlay mode), with the tick. */
  const digestSent = new Map<string, { digest: string; tick: number }>();
  let ticks = 0;
  let recomputeQueued = false;
  /**
   * Redraws the overlay from the peers reachable now. A new neighbour link starts with a HEADS exchange, opened by
   * the side with the smaller id only (both opening it pushes every difference twice); at start, by this side.
   */
  const recompute = (initial = false) => {
    recomputeQueued = false;
    if (stopped) return;
    const next = overlayOf(transport.self, transport.peers(), options.overlay);
    const nextSet = new Set(next.neighbours);
    for (const p of neighbours) {
      if (nextSet.has(p)) continue;
      dropStates(p);
      states.delete(p);
      ranges.delete(p);
      digestSent.delete(p);
    }
    const added = next.neighbours.filter((p) => !neighbours.has(p) || freshPeers.has(p));
    overlay = next;
    neighbours = nextSet;
    inRing = new Set(next.ring);
    freshPeers.clear();
    let opened = 0;
    for (const p of added) {
      dropStates(p);
      // Opened by the smaller id, or by this site when the peer does not pick it (a finger is one-way).
      if (!(initial || transport.self < p || !picks(next, p, transport.self, options.overlay))) continue;
      // Sparse overlay, many new links at once (a heal): one exchange now, the others after it (see defer).
      if (!next.fullMesh && !initial && opened > 0 && outbox.bundles(p)) defer(p);
      else sendHeads(p, true);
      opened++;
    }
  };
  const scheduleRecompute = () => {
    if (recomputeQueued) return;
    recomputeQueued = true;
    queueMicrotask(() => recompute());
  };
  const onPeer = (e: PeerEvent) => {
    if (stopped) return;
    dropStates(e.peer);
    states.delete(e.peer);
    ranges.delete(e.peer);
    outbox.forget(e.peer);
    digestSent.delete(e.peer);
    if (e.status === 'up') freshPeers.add(e.peer);
    else freshPeers.delete(e.peer);
    scheduleRecompute();
  };
  /** Whether the reachable set differs from the one the overlay was drawn from (events can be missed). */
  const viewChanged = (): boolean => {
    const now = transport.peers();
    return now.length !== inRing.size - 1 || now.some((p) => !inRing.has(p));
  };

  const flush = () => {
    flushQueued = false;
    if (stopped) return;
    const docs = [...dirty];
    dirty.clear();
    const self = transport.self;
    for (const [doc, { skip, limit }] of docs) {
      // Sparse overlay: forward along the ring within the range (a local write covers it all); else flood.
      const targets =
        overlay.fullMesh || limit === undefined ? undefined : relayTargets(overlay.ring, self, neighbours, limit);
      if (targets) {
        for (const [peer, next] of targets) if (!skip.has(peer)) pushSync(peer, doc, false, next);
      } else {
        for (const peer of overlay.neighbours) if (!skip.has(peer)) pushSync(peer, doc, false, '');
      }
    }
  };
  const onDocsChanged = (docs: readonly string[]) => {
    index.changed(docs);
    const self = transport.self;
    // Sparse overlay: a merge without a range is a repair (Plumtree's lazy push): flooding it to every neighbour
    // made each site exchange it with nearly every neighbour after a heal; the digest tells them, they pull.
    const lazy = mergingFrom !== undefined && mergingRange === undefined && !overlay.fullMesh;
    if (lazy) return digestSoon(); // a push already owed for one of these docs carries these changes too
    for (const d of docs) {
      const entry = dirty.get(d);
      if (!entry) {
        // A local write covers the whole ring; a merge, the range it came with (none: flood, full mesh only).
        const skip = new Set<string>(mergingFrom === undefined ? [] : [mergingFrom]);
        dirty.set(d, { skip, limit: mergingFrom === undefined ? self : mergingRange });
      } else if (mergingFrom === undefined) {
        entry.skip.clear();
        if (entry.limit !== undefined) entry.limit = self;
      } else if (!entry.skip.has(mergingFrom) || entry.limit !== mergingRange) {
        entry.skip.clear();
        entry.limit = undefined;
      }
    }
    if (!flushQueued) {
      flushQueued = true;
      if (pushDelay > 0) options.clock.sleep(pushDelay).then(flush, flush);
      else queueMicrotask(flush);
    }
  };

  /**
   * Repairs one at a time (sparse overlay): `lastRepair` is when this site last answered an opening that differed
   * or pushed a repair; within `repairDelay` of it, further openings are deferred: the peer gets this site's digest
   * once the repairs stopped, and opens again only if it still differs (most often it no longer does: the first
   * repair brought what the others would have brought again).
   */
  let lastRepair = Number.NEGATIVE_INFINITY;
  const deferred = new Set<string>();
  let deferQueued = false;
  const busy = () => repairDelay > 0 && !overlay.fullMesh && options.clock.now() - lastRepair < repairDelay;
  const defer = (peer: string) => {
    deferred.add(peer);
    if (deferQueued) return;
    deferQueued = true;
    const go = () => {
      deferQueued = false;
      if (stopped) return;
      if (busy()) {
        deferQueued = true;
        options.clock.sleep(repairDelay).then(go, go);
        return;
      }
      const reachable = new Set(transport.peers());
      for (const p of deferred) if (reachable.has(p)) sendDigest(p);
      deferred.clear();
    };
    options.clock.sleep(repairDelay).then(go, go);
  };

  /** Sends the changed digest to the neighbours soon (after a repair), once per burst of merges. */
  let soonQueued = false;
  const digestSoon = () => {
    if (soonQueued) return;
    soonQueued = true;
    const go = () => {
      soonQueued = false;
      if (stopped || overlay.fullMesh) return;
      for (const p of overlay.neighbours) if (digestSent.get(p)?.digest !== digestFor(p)) sendDigest(p);
    };
    if (repairDelay > 0) options.clock.sleep(repairDelay).then(go, go);
    else queueMicrotask(go);
  };

  /** Digest to every neighbour (`force`), or only where it changed or went quiet too long (overlay ticks). */
  const announce = (force = true) => {
    if (stopped) return;
    if (overlay.fullMesh) {
      transport.announce(encodeFrame(FrameType.DIGEST, '', json.bytes(digestFor())));
      return;
    }
    for (const p of overlay.neighbours) {
      const last = digestSent.get(p);
      if (!force && last?.digest === digestFor(p) && ticks - last.tick < quiet) continue;
      sendDigest(p);
    }
    // A rotating probe of one non-neighbour: repairs what differing views of reachability could leave apart.
    if (ticks % quiet === 0 && overlay.ring.length > 1) {
      const { ring } = overlay;
      const at = ring.indexOf(transport.self);
      for (let i = 1; i < ring.length; i++) {
        const p = ring[(at + 1 + ((ticks / quiet + i) % (ring.length - 1))) % ring.length];
        if (p === undefined || p === transport.self || neighbours.has(p)) continue;
        send(p, FrameType.DIGEST, '', json.bytes(digestFor(p)));
        break;
      }
    }
  };
  const tick = () => {
    ticks++;
    if (viewChanged()) recompute();
    announce(false);
  };

  const offMessage = transport.onMessage(onMessage);
  const offPeer = transport.onPeer(onPeer);
  const offDocs = replica.onDocsChanged(onDocsChanged);
  const offTick = options.clock.every(options.intervalMs ?? 1000, tick);
  for (const peer of transport.peers()) freshPeers.add(peer);
  recompute(true);

  return {
    announce: () => announce(true),
    status: () => ({
      peers: [...transport.peers()],
      neighbours: [...overlay.neighbours],
      fullMesh: overlay.fullMesh,
      docs: replica.docs().length,
      digest: index.groupedDigest(),
    }),
    traffic: () => outbox.stats(),
    stop() {
      if (stopped) return;
      stopped = true;
      offMessage();
      offPeer();
      offDocs();
      offTick();
      for (const peer of [...states.keys()]) dropStates(peer);
      states.clear();
    },
  };
}
