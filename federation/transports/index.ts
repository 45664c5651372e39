/**
 * The site-to-site transports behind the Transport port (`shared/ports/transport.ts`). Pick one per site:
 *
 * - {@link createLibp2pTransport} — peer to peer, no infrastructure: `await createLibp2pTransport({ siteId, listen,
 *   bootstrap: [<multiaddr of any running site>], privateKey: await loadOrCreatePeerKey(<dataDir>/federation/peer.key),
 *   clock, log })`. Give newcomers one of `transport.multiaddrs()` as their bootstrap; they learn the other sites from
 *   it. Reconnects with backoff. `close()` on shutdown.
 * - {@link createMqttTransport} — through a shared MQTT broker (mosquitto, aedes): `await createMqttTransport({ siteId,
 *   url: 'mqtt://broker:1883', clock, log })`. Every site on the broker (same `prefix`) is a peer.
 * - {@link createMemoryNetwork} — in-process, for tests and simulation.
 *
 * Both network transports resolve once started (the libp2p one before any peer is reached: watch `onPeer`), and
 * plug into `startCatalogSync({ replica, transport, clock, log })` unchanged. Their `stats()` count traffic.
 */
export {
  ANNOUNCE_TOPIC,
  createLibp2pTransport,
  type Libp2pTransport,
  type Libp2pTransportOptions,
  SYNC_PROTOCOL,
} from './libp2p/libp2p-transport.ts';
export { generatePeerKey, loadOrCreatePeerKey } from './libp2p/peer-key.ts';
export { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from './memory.ts';
export { createMqttTransport, type MqttTransportOptions } from './mqtt/mqtt-transport.ts';
export type { StatsTransport, TransportStats } from './stats.ts';
