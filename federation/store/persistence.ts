import type { ConflictEntry } from '../catalog/conflicts.ts';

/** Bytes to add to one document's stored state (an Automerge `saveIncremental` chunk or a whole `save`). */
export interface DocChunk {
  doc: string;
  bytes: Uint8Array;
}

/**
 * Where the replicated catalog keeps its Automerge documents and its conflict ledger (a port: SQLite in a site,
 * memory in tests and simulation). Failure semantics:
 * - `append` is atomic: every chunk and ledger entry of the call is stored, or none is and it rejects;
 * - a resolved `append`/`compact` is durable (survives a process kill);
 * - `compact` replaces every chunk of one document by one snapshot atomically; a crash leaves either form;
 * - adding a ledger entry whose id is already stored is a no-op (entries are deterministic).
 */
export interface CatalogPersistence {
  /** Every stored document with its chunks in write order. */
  loadDocs(): Promise<Map<string, Uint8Array[]>>;
  /** One document's chunks (empty when unknown). */
  loadDoc(doc: string): Promise<Uint8Array[]>;
  append(chunks: readonly DocChunk[], conflicts?: readonly ConflictEntry[]): Promise<void>;
  compact(doc: string, snapshot: Uint8Array): Promise<void>;
  loadConflicts(): Promise<ConflictEntry[]>;
  /** Bytes stored (benchmarks and status). */
  size(): Promise<number>;
  close(): Promise<void>;
}
