/**
 * The site-to-site network (DESIGN.md "Buses"): direct messages to one peer (Automerge sync, snapshots) and small
 * announcements to every reachable peer (heads digests, liveness). Implementations: memory (tests, simulation),
 * libp2p (a stream protocol for direct messages, gossip for announcements), MQTT.
 *
 * Failure semantics every implementation honours (checked by `shared/testing/run-transport-contract.ts`):
 * - delivery is at most once and in order per (sender, receiver); no duplicates. A message in flight when a link
 *   breaks may be lost without an error: consumers repair by anti-entropy (re-announce, resync), never by waiting;
 * - `send` resolves once the message is handed to the link, not when it is delivered. It rejects with a
 *   `BrumeError` of kind `unavailable` — code `transport.peer_unreachable` when the peer is not currently reachable,
 *   `transport.closed` after `close()` — and never throws synchronously;
 * - `announce` is best effort to every peer reachable now and never fails for an unreachable one; data above
 *   {@link MAX_ANNOUNCE_BYTES} is refused (`bad_request`, `transport.announce_too_large`): use `send` for bulk;
 * - direct messages up to {@link MAX_MESSAGE_BYTES} must be carried;
 * - handlers are called asynchronously (never from inside `send`/`announce`), one message at a time; a handler's
 *   exception is the handler's bug: it is logged and does not stop delivery;
 * - `onPeer` reports changes after subscribing (read `peers()` for the current set). A `down` then `up` starts a new
 *   session: anything sent before may be lost, so stateful protocols (Automerge sync states) restart on `up`;
 * - `close()` is idempotent; peers see this endpoint go `down`.
 */

/** Largest announcement an implementation must accept (gossip has no backpressure: keep them small). */
export const MAX_ANNOUNCE_BYTES = 4096;
/** Largest direct message an implementation must carry (a whole catalog document snapshot fits). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A message received from a peer. */
export interface TransportMessage {
  from: string;
  data: Uint8Array;
  /** `direct` for {@link Transport.send}, `announce` for {@link Transport.announce}. */
  channel: 'direct' | 'announce';
}

/** A peer became reachable or unreachable. */
export interface PeerEvent {
  peer: string;
  status: 'up' | 'down';
}

/** One site's endpoint on the federation network. Peers are named by site id. */
export interface Transport {
  /** This endpoint's peer id (its site id). */
  readonly self: string;
  /** Peers reachable now. */
  peers(): readonly string[];
  /** Sends bytes to one peer (see the failure semantics above). */
  send(peer: string, data: Uint8Array): Promise<void>;
  /** Sends a small message to every reachable peer, best effort. */
  announce(data: Uint8Array): void;
  /** Registers a receiver; returns the function that removes it. */
  onMessage(handler: (message: TransportMessage) => void): () => void;
  /** Registers a reachability listener; returns the function that removes it. */
  onPeer(handler: (event: PeerEvent) => void): () => void;
  close(): Promise<void>;
}
