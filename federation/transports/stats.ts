import type { Transport } from '../../shared/ports/transport.ts';

/** Traffic counters of a network transport (payload bytes plus framing; announcements count once per publish). */
export interface TransportStats {
  /** Direct messages and announcements sent. */
  sent: number;
  /** Direct messages and announcements delivered to this endpoint's handlers. */
  received: number;
  bytesSent: number;
  bytesReceived: number;
}

/** A Transport that counts its traffic (benchmarks, test settling). */
export interface StatsTransport extends Transport {
  stats(): TransportStats;
}
