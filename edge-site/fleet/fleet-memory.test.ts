import { createMemoryBroker } from '../../shared/agent-bus-memory.ts';
import { runFleetAgentSuite } from './fleet-agent.suite.ts';

// One in-process broker for the file (every test's site has its own name), as sites share a Mosquitto.
const broker = createMemoryBroker('fleet-suite');
runFleetAgentSuite('the in-process bus', { url: () => undefined, bus: () => broker });
