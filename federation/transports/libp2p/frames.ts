/**
 * Framing of the `/brume/sync/1.0.0` stream: every frame is a 4-byte big-endian length, then a type byte, then the
 * payload (the length counts the type byte and the payload).
 */
/** Frame types of the sync stream. */
export const Frame = {
  /** Dialer → listener, first frame: who I am, where I listen, whom I know. */
  HELLO: 1,
  /** Listener → dialer, the only frame the listener writes on a stream it accepted. */
  ACK: 2,
  /** One direct message of the Transport port. */
  DATA: 3,
  /** Peer exchange: peers the sender just met. */
  PEERS: 4,
} as const;
export type FrameType = (typeof Frame)[keyof typeof Frame];

/** Largest frame accepted (a MAX_MESSAGE_BYTES message plus room). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024 + 1024;

/** A peer as told in HELLO, ACK and PEERS. */
export interface PeerInfo {
  site: string;
  id: string;
  addrs: string[];
}

/** HELLO and ACK payload. */
export interface Hello extends PeerInfo {
  peers: PeerInfo[];
}

/** The 5-byte header of a frame carrying `payloadBytes`. */
export function frameHeader(type: FrameType, payloadBytes: number): Uint8Array {
  const header = new Uint8Array(5);
  new DataView(header.buffer).setUint32(0, payloadBytes + 1);
  header[4] = type;
  return header;
}

const text = new TextEncoder();
const untext = new TextDecoder();
export const jsonBytes = (value: unknown): Uint8Array => text.encode(JSON.stringify(value));
export const parseJson = (bytes: Uint8Array): unknown => JSON.parse(untext.decode(bytes));

/** A chunk of a libp2p stream (`Uint8Array` or `Uint8ArrayList`, both have `subarray()`). */
export type Chunk = Uint8Array | { subarray(): Uint8Array };

/** Incremental decoder: push stream chunks, get whole frames. Throws on a frame above {@link MAX_FRAME_BYTES}. */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.chunks[0];
      if (!head) throw new Error('frame decoder underflow');
      const k = Math.min(n - at, head.byteLength);
      out.set(head.subarray(0, k), at);
      at += k;
      if (k === head.byteLength) this.chunks.shift();
      else this.chunks[0] = head.subarray(k);
    }
    this.length -= n;
    return out;
  }

  private peekHeader(): { length: number; type: number } {
    const first = this.chunks[0];
    const head = first && first.byteLength >= 5 ? first : this.take(5);
    if (head !== first) {
      this.chunks.unshift(head);
      this.length += 5;
    }
    return { length: new DataView(head.buffer, head.byteOffset, 5).getUint32(0), type: head[4] ?? 0 };
  }

  push(chunk: Chunk): { type: number; payload: Uint8Array }[] {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
    if (bytes.byteLength > 0) {
      this.chunks.push(bytes);
      this.length += bytes.byteLength;
    }
    const out: { type: number; payload: Uint8Array }[] = [];
    while (this.length >= 5) {
      const { length, type } = this.peekHeader();
      if (length < 1 || length > MAX_FRAME_BYTES) throw new Error(`bad frame length ${length}`);
      if (this.length < 4 + length) break;
      this.take(5);
      out.push({ type, payload: this.take(length - 1) });
    }
    return out;
  }
}

/** Validates a HELLO/ACK/PEERS peer entry. */
export function asPeerInfo(v: unknown): PeerInfo | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.site !== 'string' || typeof o.id !== 'string' || !Array.isArray(o.addrs)) return undefined;
  const addrs = o.addrs.filter((a): a is string => typeof a === 'string');
  return { site: o.site, id: o.id, addrs };
}

/** Validates a HELLO/ACK payload. */
export function asHello(v: unknown): Hello | undefined {
  const self = asPeerInfo(v);
  if (!self) return undefined;
  const peers = (v as { peers?: unknown }).peers;
  const list = Array.isArray(peers) ? peers.map(asPeerInfo).filter((p): p is PeerInfo => p !== undefined) : [];
  return { ...self, peers: list };
}
