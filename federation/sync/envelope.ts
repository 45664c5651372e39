/**
 * The signed envelope every site-to-site message travels in (version 1):
 *
 * `[0xB5][version 1][channel 0 direct | 1 announce][flags: bit0 = join proof]`
 * `[sender len u8][sender][recipient len u8][recipient ('' for announcements)]`
 * `[epoch u64 BE][seq u64 BE][sender public key 32][join proof 32, if flagged][payload …][Ed25519 signature 64]`
 *
 * The signature covers everything before it. `epoch` is the sender's session (its clock when it started, strictly
 * increasing per sender) and `seq` counts the session's messages per channel: receivers drop anything at or below
 * what a sliding window has already seen (replays). The join proof is HMAC-SHA256(join secret, sender ‖ public key):
 * how a site that no peer knows yet proves it was given the federation's secret (see federation/README.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAGIC = 0xb5;
const VERSION = 1;
const SIG = 64;
const KEY = 32;
const MAC = 32;

/** A decoded envelope (not yet verified). */
export interface Envelope {
  channel: 'direct' | 'announce';
  sender: string;
  recipient: string;
  epoch: number;
  seq: number;
  publicKey: Uint8Array;
  joinProof?: Uint8Array;
  payload: Uint8Array;
  /** The signed bytes and the signature. */
  signed: Uint8Array;
  signature: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Site ids as bytes, cached: every message names two, and a small allocation each was measurable at scale. */
const ids = new Map<string, Uint8Array>();
const idBytes = (id: string): Uint8Array => {
  let b = ids.get(id);
  if (!b) {
    b = enc.encode(id);
    if (ids.size > 10_000) ids.clear();
    ids.set(id, b);
  }
  return b;
};

/** Builds and signs an envelope. */
export function sealEnvelope(
  e: Omit<Envelope, 'signed' | 'signature'>,
  sign: (data: Uint8Array) => Uint8Array,
): Uint8Array {
  const sender = idBytes(e.sender);
  const recipient = idBytes(e.recipient);
  if (sender.length > 255 || recipient.length > 255) throw new Error('site id too long');
  const proof = e.joinProof;
  const head = 4 + 1 + sender.length + 1 + recipient.length + 16 + KEY + (proof ? MAC : 0);
  const out = new Uint8Array(head + e.payload.length + SIG);
  const view = new DataView(out.buffer);
  out[0] = MAGIC;
  out[1] = VERSION;
  out[2] = e.channel === 'direct' ? 0 : 1;
  out[3] = proof ? 1 : 0;
  let at = 4;
  out[at++] = sender.length;
  out.set(sender, at);
  at += sender.length;
  out[at++] = recipient.length;
  out.set(recipient, at);
  at += recipient.length;
  view.setBigUint64(at, BigInt(e.epoch));
  view.setBigUint64(at + 8, BigInt(e.seq));
  at += 16;
  out.set(e.publicKey, at);
  at += KEY;
  if (proof) {
    out.set(proof, at);
    at += MAC;
  }
  out.set(e.payload, at);
  at += e.payload.length;
  out.set(sign(out.subarray(0, at)), at);
  return out;
}

/** Parses an envelope; undefined for anything malformed (including unsigned legacy frames). */
export function openEnvelope(data: Uint8Array): Envelope | undefined {
  if (data.length < 4 + 2 + 16 + KEY + SIG || data[0] !== MAGIC || data[1] !== VERSION) return undefined;
  const channel = data[2] === 0 ? 'direct' : data[2] === 1 ? 'announce' : undefined;
  const flags = data[3] ?? 0;
  if (!channel || flags > 1) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 4;
  const sLen = data[at++] ?? 0;
  const sender = dec.decode(data.subarray(at, at + sLen));
  at += sLen;
  const rLen = data[at] ?? 0;
  at++;
  const recipient = dec.decode(data.subarray(at, at + rLen));
  at += rLen;
  const end = data.length - SIG;
  if (at + 16 + KEY + (flags ? MAC : 0) > end) return undefined;
  const epoch = Number(view.getBigUint64(at));
  const seq = Number(view.getBigUint64(at + 8));
  at += 16;
  const publicKey = data.subarray(at, at + KEY);
  at += KEY;
  let joinProof: Uint8Array | undefined;
  if (flags) {
    joinProof = data.subarray(at, at + MAC);
    at += MAC;
  }
  return {
    channel,
    sender,
    recipient,
    epoch,
    seq,
    publicKey,
    ...(joinProof ? { joinProof } : {}),
    payload: data.subarray(at, end),
    signed: data.subarray(0, end),
    signature: data.subarray(end),
  };
}

/** HMAC-SHA256(secret, "brume-fed-join/v1" ‖ 0 ‖ site ‖ 0 ‖ public key). */
export function joinProof(secret: string, site: string, publicKey: Uint8Array): Uint8Array {
  const h = createHmac('sha256', secret);
  h.update('brume-fed-join/v1\0');
  h.update(site);
  h.update('\0');
  h.update(publicKey);
  return new Uint8Array(h.digest());
}

/** Whether `proof` is the join proof of (site, public key) under `secret` (constant time). */
export function checkJoinProof(secret: string, site: string, publicKey: Uint8Array, proof: Uint8Array): boolean {
  const want = joinProof(secret, site, publicKey);
  return proof.length === want.length && timingSafeEqual(want, proof);
}

/** Anti-replay state of one (sender, channel): the newest session and a 64-message sliding window. */
export interface ReplayWindow {
  epoch: number;
  top: number;
  bits: bigint;
}

const WINDOW = 64;

/**
 * Checks (epoch, seq) against the window and records it when fresh. A newer epoch (the sender restarted) resets
 * the window; an older epoch, a seq already seen, or one older than the window is a replay.
 */
export function acceptSeq(w: ReplayWindow | undefined, epoch: number, seq: number): ReplayWindow | undefined {
  if (!w || epoch > w.epoch) return { epoch, top: seq, bits: 1n };
  if (epoch < w.epoch) return undefined;
  if (seq > w.top) {
    const shift = seq - w.top;
    const bits = shift >= WINDOW ? 1n : ((w.bits << BigInt(shift)) | 1n) & ((1n << BigInt(WINDOW)) - 1n);
    return { epoch, top: seq, bits };
  }
  const back = w.top - seq;
  if (back >= WINDOW) return undefined;
  const bit = 1n << BigInt(back);
  if (w.bits & bit) return undefined;
  return { epoch, top: w.top, bits: w.bits | bit };
}
