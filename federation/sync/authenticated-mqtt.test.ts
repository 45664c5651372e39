/**
 * Forgery on a shared MQTT broker: any client of the broker can publish to a site's inbox in any site's name.
 * Signed envelopes make such messages count as rejected instead of reaching the sync engine.
 */
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/ports/clock.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { TransportMessage } from '../../shared/ports/transport.ts';
import { hasMosquitto, startMosquitto } from '../../shared/testing/mosquitto.ts';
import { createMqttTransport } from '../transports/mqtt/mqtt-transport.ts';
import { startAedes } from '../transports/testing/aedes.ts';
import { waitFor } from '../transports/testing/real.ts';
import { authenticateTransport } from './authenticated-transport.ts';
import { sealEnvelope } from './envelope.ts';
import { generateSiteKey } from './site-key.ts';

const enc = new TextEncoder();
const brokers: Record<string, () => Promise<{ url: string; stop(): Promise<void> }>> = {
  aedes: startAedes,
  ...(hasMosquitto() ? { mosquitto: async () => startMosquitto() } : {}),
};

/** The MQTT transport's payload framing: `[len][sender][data]`. */
const framed = (from: string, data: Uint8Array) => Buffer.concat([Buffer.from([from.length]), Buffer.from(from), data]);

for (const [name, start] of Object.entries(brokers)) {
  describe(`authenticated transport over MQTT (${name})`, () => {
    let broker: { url: string; stop(): Promise<void> } | undefined;
    beforeAll(async () => {
      broker = await start();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('drops messages published in a site name by another broker client', async () => {
      const url = broker?.url ?? '';
      const prefix = `brume/authtest/${name}`;
      const open = async (siteId: string) => {
        const inner = await createMqttTransport({ siteId, url, clock: systemClock, log: silentLogger, prefix });
        return authenticateTransport({
          inner,
          key: generateSiteKey(),
          clock: systemClock,
          log: silentLogger,
          knownKey: () => undefined,
        });
      };
      const a = await open('a');
      const b = await open('b');
      const intruder = await connectAsync(url, { clientId: `intruder-${name}` });
      try {
        const got: TransportMessage[] = [];
        b.onMessage((m) => got.push(m));
        await waitFor(() => a.peers().includes('b'), 'a sees b');
        await a.send('b', enc.encode('genuine'));
        await waitFor(() => got.length === 1, 'genuine message delivered');

        const mallory = generateSiteKey();
        const forged = sealEnvelope(
          {
            channel: 'direct',
            sender: 'a',
            recipient: 'b',
            epoch: Number.MAX_SAFE_INTEGER,
            seq: 1,
            publicKey: mallory.publicKey,
            payload: enc.encode('forged'),
          },
          mallory.sign,
        );
        await intruder.publishAsync(`${prefix}/b/inbox`, framed('a', forged), { qos: 1 });
        await intruder.publishAsync(`${prefix}/b/inbox`, framed('a', enc.encode('unsigned')), { qos: 1 });
        await intruder.publishAsync(`${prefix}/announce`, framed('a', forged), { qos: 1 });
        await waitFor(() => {
          const r = b.authStats().rejected;
          return (r.key_mismatch ?? 0) + (r.malformed ?? 0) + (r.misrouted ?? 0) >= 3;
        }, 'forgeries counted');
        await a.send('b', enc.encode('still genuine'));
        await waitFor(() => got.length === 2, 'second genuine message delivered');
        expect(got.map((m) => new TextDecoder().decode(m.data))).toEqual(['genuine', 'still genuine']);
        expect(b.authStats().rejected).toEqual({ key_mismatch: 1, malformed: 1, misrouted: 1 });
      } finally {
        await intruder.endAsync();
        await a.close();
        await b.close();
      }
    });
  });
}
