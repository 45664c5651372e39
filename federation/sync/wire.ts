/**
 * Frames of the catalog sync protocol (version 1), one per transport message:
 * `[type u8][doc key length u16 BE][doc key UTF-8][payload]`.
 * - DIGEST (announce): payload = UTF-8 digest of every (doc, heads) held; peers that differ ask for HEADS;
 * - HEADS (direct): payload = JSON {@link HeadsPayload}, the full document list with heads and change counts, or
 *   (to peers that read them) those of some buckets of documents only, or their heads digests only (grouped);
 * - SYNC (direct): payload = an Automerge sync message for the doc;
 * - SNAP (direct): payload = a whole saved Automerge doc (catch-up without round trips);
 * - BUNDLE (direct, doc ''): payload = frames of the types above, each `[length u32 BE][frame]`: what one sync flush
 *   has for one peer, in one message (one signature). Sent only to peers that said they read it (HEADS `bundles`):
 *   older peers drop unknown frame types, so they keep getting one frame per message;
 * - RANGE (in a bundle, before a SYNC of the same doc): payload = UTF-8 site id up to which (clockwise on the
 *   overlay ring, exclusive) the receiver forwards the changes of that SYNC (relay.ts). A SYNC without one is
 *   forwarded to every neighbour.
 */

/** Frame types. */
export const FrameType = { DIGEST: 1, HEADS: 2, SYNC: 3, SNAP: 4, BUNDLE: 5, RANGE: 6 } as const;
/** A frame type value. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** A decoded frame. */
export interface Frame {
  type: FrameType;
  doc: string;
  payload: Uint8Array;
}

/** Body of a HEADS frame. */
export interface HeadsPayload {
  /** Whether the receiver should answer with its own HEADS (false in answers, so exchanges stop). */
  reply: boolean;
  /** doc key -> [heads, change count]. */
  docs: Record<string, [string[], number]>;
  /** The sender reads BUNDLE frames and scoped HEADS (absent from older peers). */
  bundles?: boolean;
  /**
   * Scoped HEADS (only to peers that set `bundles`): `docs` lists only the documents of these buckets (heads.ts);
   * absent = every document. A receiver compares only those and answers with the buckets that differ.
   */
  scope?: number[];
  /** With `scope`: the sender's digest per bucket. */
  buckets?: string[];
  /** The sender reads grouped HEADS (version 2; absent from older peers). */
  v?: 2;
  /**
   * Grouped HEADS (only to peers that sent `v: 2`): `scope` and `buckets` are of the grouped buckets (heads.ts
   * `groupOf`: the shards of one collection and owner share a bucket) and the documents in scope come in `hashes`
   * (`docs` is empty).
   */
  grouped?: boolean;
  /** With `grouped`: doc key -> [digest of its sorted heads (heads.ts `headsHash`), change count]. */
  hashes?: Record<string, [string, number]>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
};

/** Bytes of a document key (written in place when ASCII, as document keys are in practice). */
const keyBytes = (doc: string): Uint8Array | undefined => (isAscii(doc) ? undefined : enc.encode(doc));

/** Writes one frame at `at` of `out` (sized by {@link frameSize}); returns the end. */
function writeFrame(out: Uint8Array, at: number, type: FrameType, doc: string, payload: Uint8Array): number {
  const key = keyBytes(doc);
  const len = key ? key.length : doc.length;
  if (len > 0xffff) throw new Error('doc key too long');
  out[at] = type;
  out[at + 1] = len >> 8;
  out[at + 2] = len & 0xff;
  if (key) out.set(key, at + 3);
  else for (let i = 0; i < len; i++) out[at + 3 + i] = doc.charCodeAt(i);
  out.set(payload, at + 3 + len);
  return at + 3 + len + payload.length;
}

/** Encoded size of a frame. */
export function frameSize(doc: string, payload: Uint8Array): number {
  return 3 + (isAscii(doc) ? doc.length : enc.encode(doc).length) + payload.length;
}

/** Encodes one frame (one allocation). */
export function encodeFrame(type: FrameType, doc: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameSize(doc, payload));
  writeFrame(out, 0, type, doc, payload);
  return out;
}

/** Decodes one frame; undefined for anything malformed or of an unknown type (newer peers). */
export function decodeFrame(data: Uint8Array): Frame | undefined {
  if (data.length < 3) return undefined;
  const type = data[0];
  if (type !== 1 && type !== 2 && type !== 3 && type !== 4 && type !== 5 && type !== 6) return undefined;
  const len = ((data[1] ?? 0) << 8) | (data[2] ?? 0);
  if (data.length < 3 + len) return undefined;
  return { type, doc: dec.decode(data.subarray(3, 3 + len)), payload: data.subarray(3 + len) };
}

/** One BUNDLE frame holding `frames` (encoded frames, none of them a bundle). */
export function encodeBundle(frames: readonly Uint8Array[]): Uint8Array {
  const size = frames.reduce((n, f) => n + 4 + f.length, 0);
  const payload = new Uint8Array(size);
  const view = new DataView(payload.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at, f.length);
    payload.set(f, at + 4);
    at += 4 + f.length;
  }
  return encodeFrame(FrameType.BUNDLE, '', payload);
}

/** One BUNDLE frame holding `frames` (none of them a bundle), written in one allocation. */
export function encodeBundleOf(frames: readonly { type: FrameType; doc: string; payload: Uint8Array }[]): Uint8Array {
  const sizes = frames.map((f) => frameSize(f.doc, f.payload));
  const out = new Uint8Array(3 + sizes.reduce((n, s) => n + 4 + s, 0));
  out[0] = FrameType.BUNDLE;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 3;
  for (const [i, f] of frames.entries()) {
    view.setUint32(at, sizes[i] ?? 0);
    at = writeFrame(out, at + 4, f.type, f.doc, f.payload);
  }
  return out;
}

/** The frames of a message: a bundle's (malformed or nested ones skipped), or the one frame; [] when malformed. */
export function framesOf(data: Uint8Array): Frame[] {
  const frame = decodeFrame(data);
  if (!frame) return [];
  if (frame.type !== FrameType.BUNDLE) return [frame];
  const out: Frame[] = [];
  const p = frame.payload;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  for (let at = 0; at + 4 <= p.length; ) {
    const len = view.getUint32(at);
    if (at + 4 + len > p.length) break;
    const inner = decodeFrame(p.subarray(at + 4, at + 4 + len));
    if (inner && inner.type !== FrameType.BUNDLE) out.push(inner);
    at += 4 + len;
  }
  return out;
}

/** JSON payload helpers. */
export const json = {
  encode: (value: unknown): Uint8Array => enc.encode(JSON.stringify(value)),
  decode: <T>(payload: Uint8Array): T => JSON.parse(dec.decode(payload)) as T,
  text: (payload: Uint8Array): string => dec.decode(payload),
  bytes: (text: string): Uint8Array => enc.encode(text),
};
