import { runFleetAgentSuite } from './fleet-agent.suite.ts';

runFleetAgentSuite('the embedded aedes broker', { url: () => undefined });
