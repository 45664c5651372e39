/**
 * The Automerge engine as the catalog uses it: raw document handles (the wasm backend), not Automerge's JS object
 * view. The catalog never reads documents through JS proxies; skipping them makes a change ~2x cheaper and loading
 * ~9x faster (bench/catalog.ts), because the JS view copies its map on every change and materialises on load.
 *
 * Node-only corner (like Hono's adapter/): the sync-state constructors are not re-exported by the package, so they
 * come from the same wasm-bindgen module instance that `@automerge/automerge`'s Node entry point loaded (the CommonJS
 * cache hands back that instance; a second instance would reject our handles, which `assertSameInstance` checks).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as A from '@automerge/automerge';

/** One Automerge document (wasm handle). Records sit at the root map: record id -> envelope JSON string. */
export type DocHandle = ReturnType<typeof A.getBackend>;
/** Automerge's per-peer, per-document sync state (wasm object: `free()` it when dropped). */
export type SyncState = Parameters<DocHandle['generateSyncMessage']>[0];

interface WasmApi {
  initSyncState(): SyncState;
  load(data: Uint8Array, options: { actor: string }): DocHandle;
  Automerge: abstract new (...args: never[]) => DocHandle;
}

const require = createRequire(import.meta.url);
const wasm = require(
  join(dirname(require.resolve('@automerge/automerge')), '../mjs/wasm_bindgen_output/nodejs/automerge_wasm.cjs'),
) as WasmApi;

function assertSameInstance(handle: DocHandle): DocHandle {
  if (!(handle instanceof wasm.Automerge)) {
    throw new Error('@automerge/automerge loaded a different wasm instance than federation/automerge/backend.ts');
  }
  return handle;
}

/** Automerge actor id of a site: its id's UTF-8 bytes in hex (stable across restarts; see store JSDoc). */
export function actorOf(siteId: string): string {
  let hex = '';
  for (const b of new TextEncoder().encode(siteId)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A new empty document written by `actor`. */
export function newDoc(actor: string): DocHandle {
  return assertSameInstance(A.getBackend(A.init({ actor })));
}

/**
 * A document rebuilt from a snapshot and/or incremental chunks, in the order they were stored. One `load` of the
 * concatenated chunks (Automerge reads a sequence of chunks) costs about half of a `loadIncremental` per chunk; the
 * per-chunk path remains for input that `load` refuses (e.g. chunks whose dependencies arrive later). No datatypes
 * are registered on a loaded handle: materialised strings are plain JS strings (no ImmutableString per value, a
 * large part of the start-up garbage); readers accept both (`shards.ts` `text`).
 */
export function loadDoc(actor: string, chunks: readonly Uint8Array[]): DocHandle {
  if (chunks.length > 0) {
    let bytes = chunks[0] ?? new Uint8Array();
    if (chunks.length > 1) {
      bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
    }
    try {
      return assertSameInstance(wasm.load(bytes, { actor }));
    } catch {
      // fall through: chunk by chunk
    }
  }
  const doc = newDoc(actor);
  for (const c of chunks) doc.loadIncremental(c);
  return doc;
}

let reserved = 0;
const MAX_RESERVE = 512 * 1024 * 1024;

/**
 * Grows Automerge's wasm memory once to about `bytes` before a bulk load. Every growth of a wasm memory counts as
 * new external memory for V8, which answers with a full GC: loading 100k records in 128 documents from change
 * chunks grew it step by step and cost ~60 mark-compacts (~4 CPU-s; bench/catalog.ts). One early growth makes that
 * a handful. The pages are touched (RSS grows by `bytes` at most) and then reused by the documents' allocations.
 */
export function reserveMemory(bytes: number): void {
  const want = Math.min(bytes, MAX_RESERVE);
  if (want <= reserved) return;
  const doc = newDoc('00');
  try {
    doc.loadIncremental(new Uint8Array(want)); // copied into wasm memory, refused (not a chunk), freed for reuse
  } catch {
    // expected
  } finally {
    doc.free();
  }
  reserved = want;
}

/** Bytes reserved so far by {@link reserveMemory}. */
export const reservedMemory = (): number => reserved;

/** A fresh sync state for a peer we have not talked to about a document. */
export function newSyncState(): SyncState {
  return wasm.initSyncState();
}
