import type { Logger } from '../../shared/ports/logger.ts';
import type { Transport } from '../../shared/ports/transport.ts';
import { encodeBundleOf, encodeFrame, FrameType, frameSize } from './wire.ts';

/** Largest bundle built (bytes); more frames for one peer go in further bundles. */
export const BUNDLE_MAX_BYTES = 1024 * 1024;

/** Frames queued per peer and sent together at the end of the current turn (see {@link createOutbox}). */
export interface Outbox {
  /**
   * Queues a frame for `peer`; everything queued in this turn leaves together. `wrap`: in a BUNDLE even if alone or
   * the peer is not known to read bundles (a first contact that peers which do not read them drop).
   */
  queue(peer: string, type: FrameType, doc: string, payload: Uint8Array, wrap?: boolean): void;
  /** Whether `peer` reads BUNDLE frames (learnt from its HEADS or a bundle it sent); reset by {@link forget}. */
  setBundles(peer: string, yes: boolean): void;
  /** Whether `peer` is known to read BUNDLE frames (and scoped HEADS). */
  bundles(peer: string): boolean;
  /** Forgets what is queued for a peer (down, or a new session); what it reads is kept (a restart rarely downgrades). */
  forget(peer: string): void;
  /** Frames and transport messages sent so far. */
  stats(): { frames: number; messages: number };
}

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  transport: Transport;
  log: Logger;
  /** A send to `peer` failed; `syncDocs` are the documents whose SYNC frames were lost (their states must reset). */
  onFailed(peer: string, syncDocs: string[]): void;
}

interface Queued {
  type: FrameType;
  doc: string;
  payload: Uint8Array;
  /** Sent as a BUNDLE even alone or to a peer not known to read bundles (dropped by peers that do not). */
  wrap?: boolean;
}

/**
 * Coalesces the frames one sync turn produces for one peer (several documents, replies and relays) into one
 * transport message: a BUNDLE frame for peers known to read it, else the frames one by one as older peers expect.
 * Order per peer is kept. Flushing happens on a microtask, after the code that queued the frames.
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { transport, log } = options;
  const pending = new Map<string, Queued[]>();
  const bundling = new Set<string>();
  const stats = { frames: 0, messages: 0 };
  let queued = false;

  const send = (peer: string, data: Uint8Array, frames: readonly Queued[]) => {
    stats.messages++;
    transport.send(peer, data).catch((err: unknown) => {
      log.debug({ err, peer, frames: frames.length }, 'catalog sync: send failed; resynced on the next heads exchange');
      options.onFailed(
        peer,
        frames.filter((f) => f.type === FrameType.SYNC).map((f) => f.doc),
      );
    });
  };

  const flush = () => {
    queued = false;
    const all = [...pending];
    pending.clear();
    for (const [peer, frames] of all) {
      stats.frames += frames.length;
      if (frames.length === 1 || !bundling.has(peer)) {
        for (const f of frames) send(peer, f.wrap ? encodeBundleOf([f]) : encodeFrame(f.type, f.doc, f.payload), [f]);
        continue;
      }
      let chunk: Queued[] = [];
      let size = 0;
      // Frames are written straight into the bundle (one allocation per message, not one per frame and a copy).
      const out = () => {
        const [first] = chunk;
        if (chunk.length === 1 && first) send(peer, encodeFrame(first.type, first.doc, first.payload), chunk);
        else if (chunk.length > 1) send(peer, encodeBundleOf(chunk), chunk);
        chunk = [];
        size = 0;
      };
      for (const f of frames) {
        const n = frameSize(f.doc, f.payload);
        if (size + n > BUNDLE_MAX_BYTES) out();
        chunk.push(f);
        size += n + 4;
      }
      out();
    }
  };

  return {
    queue(peer, type, doc, payload, wrap = false) {
      let list = pending.get(peer);
      if (!list) {
        list = [];
        pending.set(peer, list);
      }
      list.push(wrap ? { type, doc, payload, wrap } : { type, doc, payload });
      if (!queued) {
        queued = true;
        queueMicrotask(flush);
      }
    },
    setBundles(peer, yes) {
      if (yes) bundling.add(peer);
      else bundling.delete(peer);
    },
    bundles: (peer) => bundling.has(peer),
    forget(peer) {
      pending.delete(peer);
    },
    stats: () => ({ ...stats }),
  };
}
