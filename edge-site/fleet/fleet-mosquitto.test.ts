import { afterAll, beforeAll, describe, it } from 'vitest';
import { hasMosquitto, type MosquittoProcess, startMosquitto } from '../../shared/testing/mosquitto.ts';
import { runFleetAgentSuite } from './fleet-agent.suite.ts';

if (hasMosquitto()) {
  let broker: MosquittoProcess | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });
  runFleetAgentSuite('a real mosquitto process', {
    url: () => {
      if (!broker) throw new Error('mosquitto not started');
      return broker.url;
    },
  });
} else {
  describe('fleet and agent over mosquitto', () => {
    it.skip('skipped: /usr/sbin/mosquitto is not installed (CI installs it: apt-get install mosquitto)', () => {});
  });
}
