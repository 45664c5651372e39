import { describe, expect, it } from 'vitest';
import { networkHarness } from './test-helpers.ts';

describe('NetworkService.releasePort (os-interface detach)', () => {
  it('deletes a port compute created, unbinds a user port, and leaves other servers ports alone', async () => {
    const h = await networkHarness();
    const net = (await h.call(h.who.alice, 'POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
    await h.call(h.who.alice, 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24' },
    });
    const own = (await h.call(h.who.alice, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
    const [created] = await h.net.allocateForServer(h.who.alice, 'vm1', [{ uuid: net.id }], 'h1');
    const [bound] = await h.net.allocateForServer(h.who.alice, 'vm1', [{ port: own.id }], 'h1');
    expect(bound?.portId).toBe(own.id);
    const shown = (await h.call(h.who.alice, 'GET', `/v2.0/ports/${own.id}`)).body.port;
    expect(shown).toMatchObject({ device_id: 'vm1', device_owner: 'compute:nova' });

    expect(await h.net.releasePort?.('vm2', own.id)).toBe(false);
    expect(await h.net.releasePort?.('vm1', own.id)).toBe(true);
    const after = (await h.call(h.who.alice, 'GET', `/v2.0/ports/${own.id}`)).body.port;
    expect(after).toMatchObject({ device_id: '', device_owner: '' });
    expect(await h.net.releasePort?.('vm1', created?.portId ?? '')).toBe(true);
    expect((await h.call(h.who.alice, 'GET', `/v2.0/ports/${created?.portId}`)).status).toBe(404);
    expect(await h.net.portsOfServer('vm1')).toEqual([]);
    await h.net.stop?.();
  });
});
