import { describe, expect, it } from 'vitest';
import { computeHarness } from '../testing/harness.ts';

const plugs = (h: Awaited<ReturnType<typeof computeHarness>>, op: string) =>
  h.fleet.sent.filter((s) => s.command.op === op);

describe('os-interface (fake network and fleet)', () => {
  it('lists, attaches by network and by port, shows, detaches, and the server addresses follow', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const first = await h.req('GET', `/servers/${id}/os-interface`);
    expect(first.status).toBe(200);
    expect(first.json.interfaceAttachments).toEqual([
      expect.objectContaining({ port_id: `port-${id}`, net_id: 'net-private', port_state: 'ACTIVE' }),
    ]);

    const byNet = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { net_id: 'net-private' } },
    });
    expect(byNet.status).toBe(200);
    const added = byNet.json.interfaceAttachment;
    expect(added.fixed_ips[0]).toEqual({ subnet_id: 'sub', ip_address: expect.any(String) });
    expect(added.tag).toBeUndefined();
    const plug = plugs(h, 'plug_port')[0];
    expect(plug?.command).toMatchObject({ instanceId: id, port: { id: added.port_id, mac: added.mac_addr } });
    expect(plug?.requestId).toMatch(new RegExp(`^${id}:plug_port:\\d+$`));

    const byPort = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { port_id: 'p-extra' } },
      version: '2.70',
    });
    expect(byPort.status).toBe(200);
    expect(byPort.json.interfaceAttachment).toMatchObject({ port_id: 'p-extra', tag: null });

    const shown = await h.req('GET', `/servers/${id}/os-interface/p-extra`);
    expect(shown.json.interfaceAttachment.port_id).toBe('p-extra');
    const server = await h.req('GET', `/servers/${id}`);
    expect(server.json.server.addresses.private).toHaveLength(3);

    const del = await h.req('DELETE', `/servers/${id}/os-interface/${added.port_id}`);
    expect(del.status).toBe(202);
    expect(plugs(h, 'unplug_port')[0]?.command).toEqual({ op: 'unplug_port', instanceId: id, portId: added.port_id });
    const after = await h.req('GET', `/servers/${id}/os-interface`);
    expect(after.json.interfaceAttachments.map((i: { port_id: string }) => i.port_id)).toEqual([
      `port-${id}`,
      'p-extra',
    ]);
    expect((await h.req('GET', `/servers/${id}/os-interface/${added.port_id}`)).status).toBe(404);
    expect((await h.req('DELETE', `/servers/${id}/os-interface/${added.port_id}`)).status).toBe(404);
  });

  it('keeps the device tag of an attach (2.49+), shows it from 2.70 and in the metadata service devices', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const early = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { net_id: 'net-private', tag: 'nic1' } },
      version: '2.48',
    });
    expect(early.status).toBe(400);
    const tagged = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { port_id: 'p-extra', tag: 'data-nic' } },
      version: '2.49',
    });
    expect(tagged.status).toBe(200);
    const shown = await h.req('GET', `/servers/${id}/os-interface/p-extra`, { version: '2.70' });
    expect(shown.json.interfaceAttachment.tag).toBe('data-nic');
    const listed = await h.req('GET', `/servers/${id}/os-interface`, { version: '2.70' });
    expect(listed.json.interfaceAttachments.map((i: { tag: string | null }) => i.tag)).toEqual([null, 'data-nic']);
    const spec = await h.compute.instanceSpec(id);
    expect(spec?.ports.find((p) => p.id === 'p-extra')?.tag).toBe('data-nic');
    expect((await h.req('DELETE', `/servers/${id}/os-interface/p-extra`)).status).toBe(202);
    const again = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { port_id: 'p-extra' } },
      version: '2.70',
    });
    expect(again.json.interfaceAttachment.tag).toBeNull();
  });

  it('stopped servers take interfaces (the driver plugs them at the next start)', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    expect((await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } })).status).toBe(202);
    await h.compute.settled?.();
    const r = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { net_id: 'net-private' } },
    });
    expect(r.status).toBe(200);
  });

  it('refuses bad bodies (400), unknown or foreign servers (404), ports in use and busy servers (409)', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    const post = (body: unknown, as?: string) =>
      h.req('POST', `/servers/${id}/os-interface`, { body, ...(as ? { as } : {}) });
    expect((await post({})).status).toBe(400);
    expect((await post({ interfaceAttachment: {} })).status).toBe(400);
    expect((await post({ interfaceAttachment: { port_id: 'a', net_id: 'b' } })).status).toBe(400);
    expect((await post({ interfaceAttachment: { fixed_ips: [{ ip_address: '10.0.0.9' }] } })).status).toBe(400);
    expect((await post({ interfaceAttachment: { net_id: 'net-private' } }, h.other)).status).toBe(404);
    expect((await post({ interfaceAttachment: { net_id: 'net-private' } }, h.reader)).status).toBe(403);
    expect((await h.req('GET', '/servers/nope/os-interface')).status).toBe(404);
    expect((await post({ interfaceAttachment: { port_id: `port-${id}` } })).status).toBe(409);

    h.fleet.hold.op = 'stop';
    await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } });
    await h.until(() => h.fleet.hold.release.length > 0);
    expect((await post({ interfaceAttachment: { net_id: 'net-private' } })).status).toBe(409);
    expect((await h.req('DELETE', `/servers/${id}/os-interface/port-${id}`)).status).toBe(409);
    for (const r of h.fleet.hold.release) r();
    await h.compute.settled?.();
  });

  it('a failed plug releases the port again', async () => {
    const h = await computeHarness();
    const id = await h.boot();
    h.fleet.hosts().forEach((host) => {
      h.fleet.vms.get(host.id)?.delete(id);
    });
    const r = await h.req('POST', `/servers/${id}/os-interface`, {
      body: { interfaceAttachment: { net_id: 'net-private' } },
    });
    expect(r.status).toBe(409);
    expect((await h.req('GET', `/servers/${id}/os-interface`)).json.interfaceAttachments).toHaveLength(1);
  });
});
