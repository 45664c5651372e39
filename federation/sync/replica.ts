import type { SyncState } from '../automerge/backend.ts';

/**
 * What the sync engine needs from a local catalog replica: its documents by key, Automerge's sync protocol on each,
 * and whole-document snapshots for catch-up. Merges apply in memory at once (readers see them) and are persisted
 * by the replica in the background; a merge lost to a crash is simply synced again.
 */
export interface DocReplica {
  readonly siteId: string;
  /** Keys of every document held. */
  docs(): string[];
  /** Current heads of a document (empty when not held). */
  heads(doc: string): string[];
  /** Number of changes in a document's history (0 when not held): a cheap "how far behind" measure. */
  changeCount(doc: string): number;
  /** Automerge's next sync message for a peer, or null when there is nothing to say (creates the doc if unknown). */
  generateSyncMessage(doc: string, state: SyncState): Uint8Array | null;
  /** Merges a peer's sync message. Malformed input throws and leaves the document unchanged. */
  receiveSyncMessage(doc: string, state: SyncState, message: Uint8Array): void;
  /** The whole document (`save`), or undefined when not held. */
  snapshot(doc: string): Uint8Array | undefined;
  /** Merges a whole document received from a peer. */
  mergeSnapshot(doc: string, bytes: Uint8Array): void;
  /** Called with the keys of documents that changed: local writes once durable, merges at once. */
  onDocsChanged(listener: (docs: readonly string[]) => void): () => void;
}
