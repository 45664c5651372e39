import { describe, expect, it } from 'vitest';
import { manualClock } from '../edge-site/testing/deps.ts';
import { createFakeDriver } from './drivers/fake/index.ts';
import { execute, instanceKey } from './execute.ts';

const port = { id: 'port-2', networkId: 'net-1', mac: 'fa:16:3e:00:00:02', ips: ['10.0.0.6/24'] };
const spec = {
  id: 'vm-1',
  name: 'vm-1',
  hostname: 'vm-1',
  projectId: 'p',
  vcpus: 1,
  memoryMiB: 64,
  diskGiB: 1,
  image: null,
  ports: [],
};

describe('network commands on the agent', () => {
  it('plug_port and unplug_port reach the driver; network_policy is a no-op without a data plane', async () => {
    const d = createFakeDriver({ clock: manualClock(), spawnDelayMs: 0, actionDelayMs: 0 });
    await execute(d, { op: 'spawn', spec });
    expect(await execute(d, { op: 'plug_port', instanceId: 'vm-1', port })).toEqual({ result: null, effect: null });
    expect(d.portsOf('vm-1')).toEqual(['port-2']);
    await execute(d, { op: 'unplug_port', instanceId: 'vm-1', portId: 'port-2' });
    expect(d.portsOf('vm-1')).toEqual([]);
    const policy = { revision: 1, ports: {}, groups: [] };
    expect(await execute(d, { op: 'network_policy', policy })).toEqual({ result: null, effect: null });
  });
  it('serializes policies among themselves and port changes with their VM', () => {
    expect(instanceKey({ op: 'network_policy', policy: { revision: 1, ports: {}, groups: [] } })).toBe(
      'network_policy',
    );
    expect(instanceKey({ op: 'plug_port', instanceId: 'vm-1', port })).toBe('vm-1');
  });
});
