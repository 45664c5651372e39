/**
 * Escrow messages between sites, one per direct transport message: `[0x51 'Q'][JSON]`. The first byte is outside
 * the catalog sync's frame types, which ignores it (and this codec ignores the sync's frames).
 */
import type { QuotaLimit } from '../../shared/schemas/catalog/index.ts';

const TAG = 0x51;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A site short of share asks a peer for `need` more under `split` (the asker's record, adopted if unknown). */
export interface AskMessage {
  t: 'ask';
  rid: string;
  project_id: string;
  resource: string;
  need: number;
  split: QuotaLimit;
}

/** The answer: `given` is the peer's cumulative counter towards the asker (durable at the peer), 0 granted on refusal. */
export interface GrantMessage {
  t: 'grant';
  rid: string;
  version: string;
  granted: number;
  given: number;
  /** Why nothing was granted (no spare share, another split version). */
  reason?: string;
}

/** Any escrow message. */
export type EscrowMessage = AskMessage | GrantMessage;

/** Encodes a message. */
export function encodeEscrow(m: EscrowMessage): Uint8Array {
  const body = enc.encode(JSON.stringify(m));
  const out = new Uint8Array(body.length + 1);
  out[0] = TAG;
  out.set(body, 1);
  return out;
}

/** Decodes a message, or undefined for anything else (sync frames, garbage). */
export function decodeEscrow(data: Uint8Array): EscrowMessage | undefined {
  if (data[0] !== TAG) return undefined;
  try {
    const m = JSON.parse(dec.decode(data.subarray(1))) as EscrowMessage;
    if (m.t === 'ask' && typeof m.rid === 'string' && typeof m.need === 'number' && m.split) return m;
    if (m.t === 'grant' && typeof m.rid === 'string' && typeof m.given === 'number') return m;
  } catch {
    // Not ours.
  }
  return undefined;
}
