import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { PeerEvent, Transport, TransportMessage } from '../../shared/ports/transport.ts';
import { newSyncState, type SyncState } from '../automerge/backend.ts';
import { digest } from '../catalog/layout.ts';
import type { DocReplica } from './replica.ts';
import { decodeFrame, encodeFrame, type Frame, FrameType, type HeadsPayload, json } from './wire.ts';

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
}

/** A running sync engine. */
export interface CatalogSync {
  /** Announces the digest now (also done every tick). */
  announce(): void;
  /** Connected peers and the digest of local heads. */
  status(): { peers: string[]; docs: number; digest: string };
  stop(): void;
}

/**
 * Keeps a catalog replica in sync with every reachable peer: Automerge's sync protocol per (peer, document) over
 * the transport; local and merged changes are pushed at once; a periodic digest announcement finds peers that
 * diverged (lost messages, new documents) and a HEADS exchange then resyncs only the documents that differ.
 * A document a peer lacks, or lags far behind on, is sent whole (SNAP) rather than over many round trips.
 * A peer going down drops its sync states; coming back up restarts from a HEADS exchange (resumption).
 */
export function startCatalogSync(options: CatalogSyncOptions): CatalogSync {
  const { replica, transport, log } = options;
  const behind = options.snapshotBehind ?? 200;
  const states = new Map<string, Map<string, SyncState>>();
  /** doc -> peers to skip on the next push: they sent us the change being pushed. */
  const dirty = new Map<string, Set<string>>();
  let mergingFrom: string | undefined;
  let flushQueued = false;
  let stopped = false;
  let cachedDigest: string | undefined;

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
    return s;
  };
  const dropStates = (peer: string, doc?: string) => {
    const perPeer = states.get(peer);
    if (!perPeer) return;
    for (const [d, s] of perPeer) {
      if (doc !== undefined && d !== doc) continue;
      s.free();
      perPeer.delete(d);
    }
  };

  const send = (peer: string, type: FrameType, doc: string, payload: Uint8Array) => {
    transport.send(peer, encodeFrame(type, doc, payload)).catch((err: unknown) => {
      log.debug({ err, peer, doc }, 'catalog sync: send failed; resynced on the next heads exchange');
      if (type === FrameType.SYNC) dropStates(peer, doc);
    });
  };
  const pushSync = (peer: string, doc: string, fresh = false) => {
    const message = replica.generateSyncMessage(doc, stateOf(peer, doc, fresh));
    if (message) send(peer, FrameType.SYNC, doc, message);
  };
  const pushSnapshot = (peer: string, doc: string) => {
    const bytes = replica.snapshot(doc);
    if (bytes) send(peer, FrameType.SNAP, doc, bytes);
  };

  const headsMap = (): HeadsPayload['docs'] => {
    const out: HeadsPayload['docs'] = {};
    for (const doc of replica.docs()) {
      const heads = replica.heads(doc);
      if (heads.length > 0) out[doc] = [heads.toSorted(), replica.changeCount(doc)];
    }
    return out;
  };
  const localDigest = (): string => {
    if (cachedDigest === undefined) {
      const parts = replica
        .docs()
        .toSorted()
        .map((d) => `${d}=${replica.heads(d).toSorted().join(',')}`)
        .filter((p) => !p.endsWith('='));
      cachedDigest = digest(parts.join(';'));
    }
    return cachedDigest;
  };
  const sendHeads = (peer: string, reply: boolean) => {
    send(peer, FrameType.HEADS, '', json.encode({ reply, docs: headsMap() } satisfies HeadsPayload));
  };

  const onHeads = (peer: string, payload: HeadsPayload) => {
    const mine = new Set(replica.docs());
    let differs = false;
    for (const doc of new Set([...mine, ...Object.keys(payload.docs)])) {
      const [theirHeads = [], theirCount = 0] = payload.docs[doc] ?? [];
      const ours = replica.heads(doc).toSorted();
      if (ours.join(',') === theirHeads.toSorted().join(',')) continue;
      differs = true;
      if (ours.length === 0) continue; // they have it, we do not: our HEADS answer makes them send it whole
      if (theirHeads.length === 0 || replica.changeCount(doc) - theirCount > behind) pushSnapshot(peer, doc);
      else pushSync(peer, doc, true);
    }
    if (payload.reply && differs) sendHeads(peer, false);
  };

  const onFrame = (peer: string, frame: Frame) => {
    switch (frame.type) {
      case FrameType.DIGEST:
        if (json.text(frame.payload) !== localDigest()) sendHeads(peer, true);
        return;
      case FrameType.HEADS:
        onHeads(peer, json.decode<HeadsPayload>(frame.payload));
        return;
      case FrameType.SYNC: {
        const state = stateOf(peer, frame.doc);
        mergingFrom = peer;
        try {
          replica.receiveSyncMessage(frame.doc, state, frame.payload);
        } catch (err) {
          log.warn({ err, peer, doc: frame.doc }, 'catalog sync: bad sync message; state reset');
          dropStates(peer, frame.doc);
          return;
        } finally {
          mergingFrom = undefined;
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
    const frame = decodeFrame(m.data);
    if (!frame) {
      log.debug({ peer: m.from }, 'catalog sync: unknown frame ignored');
      return;
    }
    try {
      onFrame(m.from, frame);
    } catch (err) {
      log.warn({ err, peer: m.from, type: frame.type, doc: frame.doc }, 'catalog sync: frame failed');
    }
  };

  const peerUp = (peer: string) => {
    dropStates(peer);
    sendHeads(peer, true);
  };
  const onPeer = (e: PeerEvent) => {
    if (stopped) return;
    if (e.status === 'up') peerUp(e.peer);
    else {
      dropStates(e.peer);
      states.delete(e.peer);
    }
  };

  const flush = () => {
    flushQueued = false;
    if (stopped) return;
    const docs = [...dirty];
    dirty.clear();
    for (const peer of transport.peers()) {
      for (const [doc, skip] of docs) if (!skip.has(peer)) pushSync(peer, doc);
    }
  };
  const onDocsChanged = (docs: readonly string[]) => {
    cachedDigest = undefined;
    for (const d of docs) {
      let skip = dirty.get(d);
      if (!skip) {
        skip = new Set();
        dirty.set(d, skip);
        if (mergingFrom !== undefined) skip.add(mergingFrom);
      } else if (mergingFrom === undefined || !skip.has(mergingFrom)) {
        skip.clear();
      }
    }
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };

  const announce = () => {
    if (!stopped) transport.announce(encodeFrame(FrameType.DIGEST, '', json.bytes(localDigest())));
  };

  const offMessage = transport.onMessage(onMessage);
  const offPeer = transport.onPeer(onPeer);
  const offDocs = replica.onDocsChanged(onDocsChanged);
  const offTick = options.clock.every(options.intervalMs ?? 1000, announce);
  for (const peer of transport.peers()) peerUp(peer);

  return {
    announce,
    status: () => ({ peers: [...transport.peers()], docs: replica.docs().length, digest: localDigest() }),
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
