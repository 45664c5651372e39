import { join } from 'node:path';
import type { SiteConfig } from '../../shared/config.ts';
import { BrumeError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { PeerEvent, Transport, TransportMessage } from '../../shared/ports/transport.ts';

/** `federation/transports/index.ts`, loaded lazily (libp2p is heavy to import and a lone site does not need it). */
type TransportsModule = Partial<typeof import('../transports/index.ts')>;

const MODULE = '../transports/index.ts';

async function transports(): Promise<TransportsModule> {
  try {
    return (await import(MODULE)) as TransportsModule;
  } catch (err) {
    throw new BrumeError(
      'unavailable',
      'federation.transport_missing',
      `federation transports cannot be loaded: ${String(err)}`,
    );
  }
}

/** Why `kind` cannot be used here, or undefined when it can (for `brume up` to fall back with a clear message). */
export async function transportMissing(kind: 'libp2p' | 'mqtt'): Promise<string | undefined> {
  try {
    const m = await transports();
    const fn = kind === 'libp2p' ? m.createLibp2pTransport : m.createMqttTransport;
    return fn ? undefined : `federation/transports/index.ts exports no ${kind} transport yet`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A transport with no peers (`transport: none`): the catalog is replicated-ready but talks to nobody. */
export function isolatedTransport(self: string): Transport {
  let closed = false;
  return {
    self,
    peers: () => [],
    send: async (peer) => {
      throw new BrumeError(
        'unavailable',
        closed ? 'transport.closed' : 'transport.peer_unreachable',
        `peer ${peer} is unreachable`,
      );
    },
    announce: () => {},
    onMessage: (_h: (m: TransportMessage) => void) => () => {},
    onPeer: (_h: (e: PeerEvent) => void) => () => {},
    close: async () => {
      closed = true;
    },
  };
}

/**
 * Opens the site-to-site transport `config.federation` names: libp2p (peer key kept in
 * `<dataDir>/federation/peer.key` so the peer id survives restarts), MQTT through the shared broker, or none.
 */
export async function openTransport(config: SiteConfig, clock: Clock, log: Logger): Promise<Transport> {
  const f = config.federation;
  if (f.transport === 'none') return isolatedTransport(config.site);
  const m = await transports();
  const tlog = log.child({ component: `transport-${f.transport}` });
  if (f.transport === 'mqtt') {
    if (!m.createMqttTransport)
      throw new BrumeError('unavailable', 'federation.transport_missing', 'no MQTT transport');
    if (!f.mqttUrl)
      throw new BrumeError('bad_request', 'federation.mqtt_url_missing', 'federation.mqttUrl is required');
    return m.createMqttTransport({ siteId: config.site, url: f.mqttUrl, clock, log: tlog });
  }
  if (!m.createLibp2pTransport) {
    throw new BrumeError('unavailable', 'federation.transport_missing', 'no libp2p transport');
  }
  const privateKey = await m.loadOrCreatePeerKey?.(join(config.dataDir, 'federation', 'peer.key'));
  return m.createLibp2pTransport({
    siteId: config.site,
    listen: f.listen,
    bootstrap: f.bootstrap,
    privateKey,
    clock,
    log: tlog,
  });
}
