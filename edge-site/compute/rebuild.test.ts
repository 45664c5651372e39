import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testImage } from './testing/fakes.ts';
import { computeHarness, IMAGE_ID } from './testing/harness.ts';
import { generateX509 } from './x509.ts';

const ALT_IMAGE = '6b3bb5a0-1b5c-4c61-9d4c-7f1b6c2a9e10';

async function harnessWithAltImage() {
  const h = await computeHarness();
  h.images.images.set(ALT_IMAGE, { ...testImage(), id: ALT_IMAGE, name: 'alt' });
  return h;
}

describe('rebuild', () => {
  it('shows REBUILD, destroys and spawns the same server on its host and ends ACTIVE with the new data', async () => {
    const h = await harnessWithAltImage();
    const id = await h.boot();
    const before = (await h.req('GET', `/servers/${id}`)).json.server;
    h.fleet.hold.op = 'spawn';
    const r = await h.req('POST', `/servers/${id}/action`, {
      body: { rebuild: { imageRef: ALT_IMAGE, name: 'renamed', metadata: { rebuild: 'server' }, adminPass: 'pw' } },
    });
    expect(r.status).toBe(202);
    expect(r.json.server).toMatchObject({ id, name: 'renamed', adminPass: 'pw', image: { id: ALT_IMAGE } });
    expect(r.json.server.status).toBe('REBUILD');
    await h.until(() => h.fleet.hold.release.length === 1);
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('REBUILD');
    const busy = await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } });
    expect(busy.status).toBe(409);
    h.fleet.hold.op = null;
    for (const release of h.fleet.hold.release) release();
    await h.compute.settled();
    const after = (await h.req('GET', `/servers/${id}`)).json.server;
    expect(after).toMatchObject({ status: 'ACTIVE', name: 'renamed', metadata: { rebuild: 'server' } });
    expect(after.image.id).toBe(ALT_IMAGE);
    expect(after.addresses).toEqual(before.addresses);
    const ops = h.fleet.sent.filter((s) => s.command.op !== 'inspect').map((s) => s.command.op);
    expect(ops.slice(-2)).toEqual(['destroy', 'spawn']);
    const spawn = h.fleet.sent.at(-1)?.command;
    expect(spawn?.op === 'spawn' && spawn.spec.id === id && spawn.spec.image?.id === ALT_IMAGE).toBe(true);
    const actions = (await h.req('GET', `/servers/${id}/os-instance-actions`)).json.instanceActions;
    expect(actions.map((a: { action: string }) => a.action)).toContain('rebuild');
  });

  it('keeps a stopped server SHUTOFF after rebuilding it', async () => {
    const h = await harnessWithAltImage();
    const id = await h.boot();
    await h.req('POST', `/servers/${id}/action`, { body: { 'os-stop': null } });
    await h.compute.settled();
    const r = await h.req('POST', `/servers/${id}/action`, { body: { rebuild: { imageRef: ALT_IMAGE } } });
    expect(r.status).toBe(202);
    expect(typeof r.json.server.adminPass).toBe('string');
    const v257 = await h.req('POST', `/servers/${id}/action`, {
      body: { rebuild: { imageRef: ALT_IMAGE, user_data: 'aGk=' } },
      version: '2.57',
    });
    expect(v257.status).toBe(409);
    await h.compute.settled();
    const again = await h.req('POST', `/servers/${id}/action`, {
      body: { rebuild: { imageRef: ALT_IMAGE, user_data: 'aGk=' } },
      version: '2.57',
    });
    expect(again.json.server).toMatchObject({ key_name: null, user_data: 'aGk=' });
    await h.compute.settled();
    const s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect([s.status, s['OS-EXT-STS:power_state'], s.image.id]).toEqual(['SHUTOFF', 4, ALT_IMAGE]);
  });

  it('answers 400 for bad images and fields, 409 while busy, 404 for other projects', async () => {
    const h = await harnessWithAltImage();
    const id = await h.boot();
    const rebuild = (body: unknown, opts: { as?: string; version?: string } = {}) =>
      h.req('POST', `/servers/${id}/action`, { body: { rebuild: body }, ...opts });
    expect((await rebuild({})).status).toBe(400);
    expect((await rebuild({ imageRef: 'not-a-uuid' })).status).toBe(400);
    expect((await rebuild({ imageRef: '6b3bb5a0-0000-4c61-9d4c-7f1b6c2a9e10' })).status).toBe(400);
    expect((await rebuild({ imageRef: IMAGE_ID, accessIPv6: 'notvalid' })).status).toBe(400);
    expect((await rebuild({ imageRef: IMAGE_ID, name: '' })).status).toBe(400);
    expect((await rebuild({ imageRef: IMAGE_ID, user_data: 'aGk=' })).status).toBe(400);
    expect((await rebuild({ imageRef: IMAGE_ID, user_data: '!!' }, { version: '2.57' })).status).toBe(400);
    expect((await rebuild({ imageRef: IMAGE_ID }, { as: h.other })).status).toBe(404);
    h.fleet.hold.op = 'destroy';
    expect((await rebuild({ imageRef: IMAGE_ID })).status).toBe(202);
    expect((await rebuild({ imageRef: IMAGE_ID })).status).toBe(409);
    h.fleet.hold.op = null;
    await h.until(() => h.fleet.hold.release.length === 1);
    for (const release of h.fleet.hold.release) release();
    await h.compute.settled();
    expect((await h.req('GET', `/servers/${id}`)).json.server.status).toBe('ACTIVE');
  });
});

describe('access IPs and changes-since', () => {
  it('rejects invalid access IPs and stores IPv6 in canonical form', async () => {
    const h = await computeHarness();
    const bad = await h.req('POST', '/servers', {
      body: { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1', accessIPv6: 'notvalid' } },
    });
    expect(bad.status).toBe(400);
    const bad4 = await h.req('POST', '/servers', {
      body: { server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1', accessIPv4: '1.2.3' } },
    });
    expect(bad4.status).toBe(400);
    const id = await h.boot('vm', { accessIPv4: '1.1.1.1', accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' });
    const s = (await h.req('GET', `/servers/${id}`)).json.server;
    expect([s.accessIPv4, s.accessIPv6]).toEqual(['1.1.1.1', '::babe:dc0c:1602']);
    expect((await h.req('PUT', `/servers/${id}`, { body: { server: { accessIPv6: 'x' } } })).status).toBe(400);
  });

  it('accepts ISO 8601 changes-since only', async () => {
    const h = await computeHarness();
    await h.boot();
    expect((await h.req('GET', '/servers?changes-since=2011/01/01')).status).toBe(400);
    expect((await h.req('GET', '/servers?changes-since=2011-01-01')).json.servers).toHaveLength(1);
    expect((await h.req('GET', '/servers?changes-since=2011-01-01T00:00:00')).json.servers).toHaveLength(1);
    expect((await h.req('GET', '/servers?changes-since=2011-01-01T00:00:00%2B02:00')).status).toBe(200);
  });
});

describe('x509 keypairs', () => {
  it('generates a self-signed certificate and returns the private key once', async () => {
    const cert = generateX509('user-1', Date.UTC(2026, 0, 1));
    const x = new X509Certificate(cert.certificate);
    expect(x.subject).toBe('CN=user-1');
    expect(x.verify(x.publicKey)).toBe(true);
    const h = await computeHarness();
    const r = await h.req('POST', '/os-keypairs', { body: { keypair: { name: 'k', type: 'x509' } }, version: '2.2' });
    expect(r.status).toBe(201);
    expect(r.json.keypair.type).toBe('x509');
    expect(r.json.keypair.private_key).toContain('PRIVATE KEY');
    expect(r.json.keypair.fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    const shown = await h.req('GET', '/os-keypairs/k', { version: '2.2' });
    expect(shown.json.keypair.type).toBe('x509');
    expect(shown.json.keypair.private_key).toBeUndefined();
  });
});

describe('small Nova APIs', () => {
  it('serves extensions, server password, v2 version document, restore 409 and deleted instance actions', async () => {
    const h = await computeHarness();
    const ext = await h.req('GET', '/extensions');
    expect(ext.json.extensions.map((e: { name: string }) => e.name)).toContain('Hosts');
    expect((await h.req('GET', '/extensions/os-consoles')).json.extension.alias).toBe('os-consoles');
    expect((await h.req('GET', '/extensions/os-nope')).status).toBe(404);
    const id = await h.boot();
    expect((await h.req('GET', `/servers/${id}/os-server-password`)).json).toEqual({ password: '' });
    expect((await h.req('DELETE', `/servers/${id}/os-server-password`)).status).toBe(204);
    expect((await h.req('DELETE', `/servers/${id}/os-server-password`, { as: h.reader })).status).toBe(403);
    expect((await h.req('POST', `/servers/${id}/action`, { body: { restore: null } })).status).toBe(409);
    expect((await h.req('DELETE', `/servers/${id}`)).status).toBe(204);
    await h.compute.settled();
    expect((await h.req('GET', `/servers/${id}/os-instance-actions`)).status).toBe(404);
    const actions = await h.req('GET', `/servers/${id}/os-instance-actions`, { version: '2.21' });
    expect(actions.json.instanceActions.map((a: { action: string }) => a.action).sort()).toEqual(['create', 'delete']);
    const v2 = await h.app.request('http://site/compute/v2/');
    const doc = (await v2.json()) as { version: { id: string; links: Array<{ href: string }> } };
    expect(doc.version.id).toBe('v2.0');
    expect(doc.version.links[0]?.href).toBe('http://site/compute/v2/');
  });
});
