/**
 * The site-to-site transports behind the Transport port (`shared/ports/transport.ts`). Pick one per site:
 *
 * - {@link createLibp2pTransport} — peer to peer, no infrastructure: `await createLibp2pTransport({ siteId, listen,
 *   bootstrap: [<multiaddr of any running site>], privateKey: await loadOrCreatePeerKey(<dataDir>/federation/peer.key),
 *   clock, log })`. Give newcomers one of `transport.multiaddrs()` (or just `/ip4/<host>/tcp/<port>`) as their
 *   bootstrap; they learn the other sites from it. Redials lost peers with backoff. Resolves once listening, before
 *   any peer is reached: watch `onPeer`/`peers()`. `setBlocked([...])` injects a partition (tests, drills).
 * - {@link createMqttTransport} — through a shared MQTT broker (mosquitto, aedes): `await createMqttTransport({ siteId,
 *   url: 'mqtt://broker:1883', clock, log })`; every site on the broker (same `prefix`) is a peer. Resolves once
 *   connected (rejects `transport.broker_unreachable`), or at once with `background: true` (a site must start while
 *   its broker is down). Brokers should disable Nagle's algorithm (mosquitto `set_tcp_nodelay true`, aedes sockets
 *   `noDelay`): otherwise every QoS 1 hop can wait ~40 ms on delayed ACKs.
 * - {@link createMemoryNetwork} — in-process, for tests and simulation.
 *
 * Both network transports plug into `startCatalogSync({ replica, transport, clock, log })` unchanged, count their
 * traffic in `stats()`, and must be `close()`d on shutdown. Their timers (redial backoff, handshake timeout) run on
 * the given clock: pass `systemClock` (a manual clock that is never advanced stalls redials).
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
