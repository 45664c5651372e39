import { mqttAgentBus } from '../../shared/agent-bus-mqtt.ts';
import { hasMosquitto, startMosquitto } from '../../shared/testing/mosquitto.ts';
import { runAgentBusContract } from '../../shared/testing/run-agent-bus-contract.ts';
import { startEmbeddedBroker } from './broker.ts';

runAgentBusContract('mqtt.js to the embedded aedes broker', {
  async create() {
    const broker = await startEmbeddedBroker('127.0.0.1', 0);
    return { bus: mqttAgentBus, url: broker.url, close: () => broker.close() };
  },
});

if (hasMosquitto()) {
  runAgentBusContract('mqtt.js to a mosquitto process', {
    async create() {
      const broker = await startMosquitto();
      return { bus: mqttAgentBus, url: broker.url, close: () => broker.stop() };
    },
  });
}
