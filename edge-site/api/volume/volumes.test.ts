import { describe, expect, it } from 'vitest';
import type { Image } from '../../../shared/schemas/catalog/index.ts';
import type { ImageService } from '../../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import { fakeVolumeBackend } from '../../volume/backend.ts';
import { createVolume } from '../../volume/index.ts';

const image: ImageService = {
  getForBoot: (_auth, id) =>
    ({
      id,
      name: 'img',
      disk_format: 'raw',
      container_format: 'bare',
      min_disk: 0,
      min_ram: 0,
      size: 1024,
      virtual_size: null,
    }) as unknown as Image,
  fileUrl: (id) => `http://x/${id}`,
};

async function setup() {
  const deps = await testDeps();
  const tokens = fakeTokens();
  const member = tokens.add(authFor());
  const other = tokens.add(authFor({ projectId: 'p2', userId: 'u2' }));
  const backend = fakeVolumeBackend();
  const mod = await createVolume(deps, { identity: { tokens, bootstrap: async () => {} }, image, backend });
  const app = mountForTest(deps, '/volume', mod.app);
  const call = async (method: string, path: string, body?: unknown, token = member) => {
    const res = await app.request(`/volume/v3/p1${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'volume 3.50' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return { deps, mod, app, call, member, other, backend };
}

describe('volume API', () => {
  it('serves version documents without a token', async () => {
    const { app } = await setup();
    const res = await app.request('/volume/');
    expect(res.status).toBe(300);
    const doc = (await res.json()) as { versions: Array<Record<string, unknown>> };
    expect(doc.versions[0]).toMatchObject({ id: 'v3.0', version: '3.60', min_version: '3.0' });
    expect((await app.request('/volume/v3/')).status).toBe(200);
    expect((await app.request('/volume/v3/p1/volumes')).status).toBe(401);
  });

  it('serves the metadata sub-resource of volumes: merge, replace, per key, mismatch and missing keys', async () => {
    const { call, mod, other } = await setup();
    const id = (await call('POST', '/volumes', { volume: { size: 1, metadata: { a: '1' } } })).body.volume.id as string;
    await mod.settled();
    expect((await call('POST', `/volumes/${id}/metadata`, { metadata: { b: '2' } })).body).toEqual({
      metadata: { a: '1', b: '2' },
    });
    expect((await call('GET', `/volumes/${id}/metadata/b`)).body).toEqual({ meta: { b: '2' } });
    expect((await call('PUT', `/volumes/${id}/metadata/b`, { meta: { b: '3' } })).body).toEqual({ meta: { b: '3' } });
    expect((await call('PUT', `/volumes/${id}/metadata/b`, { meta: { c: '3' } })).status).toBe(400);
    expect((await call('DELETE', `/volumes/${id}/metadata/a`)).status).toBe(200);
    expect((await call('GET', `/volumes/${id}/metadata/a`)).status).toBe(404);
    expect((await call('DELETE', `/volumes/${id}/metadata/a`)).status).toBe(404);
    expect((await call('PUT', `/volumes/${id}/metadata`, { metadata: { z: '9' } })).body).toEqual({
      metadata: { z: '9' },
    });
    expect((await call('GET', `/volumes/${id}/metadata`)).body).toEqual({ metadata: { z: '9' } });
    expect((await call('GET', `/volumes/${id}/metadata`, undefined, other)).status).toBe(404);
  });

  it('creates a volume (creating → available), shows, updates, filters, pages and deletes it', async () => {
    const { call, mod } = await setup();
    const created = await call('POST', '/volumes', { volume: { size: '1', name: 'a', metadata: { k: 'v' } } });
    expect(created.status).toBe(202);
    expect(created.headers.get('openstack-api-version')).toBe('volume 3.50');
    expect(created.body.volume).toMatchObject({ status: 'creating', size: 1, name: 'a', bootable: 'false' });
    await mod.settled();
    const id = created.body.volume.id as string;
    expect((await call('GET', `/volumes/${id}`)).body.volume.status).toBe('available');
    await call('POST', '/volumes', { volume: { size: 2, name: 'b' } });
    await mod.settled();
    const put = await call('PUT', `/volumes/${id}`, { volume: { name: 'a2', description: 'd' } });
    expect(put.body.volume).toMatchObject({ name: 'a2', description: 'd', metadata: { k: 'v' } });
    const byName = await call('GET', '/volumes/detail?name=a2');
    expect(byName.body.volumes.map((v: { id: string }) => v.id)).toEqual([id]);
    const byMeta = await call('GET', `/volumes?metadata=${encodeURIComponent("{'k': 'v'}")}`);
    expect(byMeta.body.volumes).toHaveLength(1);
    const page = await call('GET', '/volumes?limit=1&sort=id:asc');
    expect(page.body.volumes).toHaveLength(1);
    expect(page.body.volumes_links[0].href).toContain(`marker=${page.body.volumes[0].id}`);
    expect((await call('DELETE', `/volumes/${id}`)).status).toBe(202);
    await mod.settled();
    expect((await call('GET', `/volumes/${id}`)).status).toBe(404);
  });

  it('rejects bad sizes, unknown types and sources, and hides other projects', async () => {
    const { call, other, mod } = await setup();
    for (const size of ['#$%', '', '0', '-1']) {
      expect((await call('POST', '/volumes', { volume: { size } })).status).toBe(400);
    }
    const missing = '0190a6f2-0000-7000-8000-000000000000';
    expect((await call('POST', '/volumes', { volume: { size: 1, volume_type: missing } })).status).toBe(404);
    expect((await call('POST', '/volumes', { volume: { size: 1, snapshot_id: missing } })).status).toBe(404);
    expect((await call('POST', '/volumes', { volume: { size: 1, source_volid: missing } })).body).toEqual({
      itemNotFound: { code: 404, message: `Volume ${missing} could not be found.` },
    });
    const v = (await call('POST', '/volumes', { volume: { size: 1 } })).body.volume;
    await mod.settled();
    expect((await call('GET', `/volumes/${v.id}`, undefined, other)).status).toBe(404);
    expect((await call('GET', '/volumes/')).status).toBe(404);
  });

  it('runs actions and attachments with Cinder statuses; in-use volumes cannot be deleted', async () => {
    const { call, mod } = await setup();
    const v = (await call('POST', '/volumes', { volume: { size: 1 } })).body.volume;
    await mod.settled();
    expect((await call('POST', `/volumes/${v.id}/action`, { 'os-set_bootable': { bootable: true } })).status).toBe(200);
    await call('POST', `/volumes/${v.id}/action`, { 'os-update_readonly_flag': { readonly: true } });
    let shown = (await call('GET', `/volumes/${v.id}`)).body.volume;
    expect(shown).toMatchObject({ bootable: 'true', metadata: { readonly: 'True' } });
    await call('POST', `/volumes/${v.id}/action`, { 'os-reserve': {} });
    expect((await call('GET', `/volumes/${v.id}`)).body.volume.status).toBe('attaching');
    await call('POST', `/volumes/${v.id}/action`, { 'os-attach': { instance_uuid: 's1', mountpoint: '/dev/vdb' } });
    await mod.settled();
    shown = (await call('GET', `/volumes/${v.id}`)).body.volume;
    expect(shown.status).toBe('in-use');
    expect(shown.attachments[0]).toMatchObject({ id: v.id, server_id: 's1', device: '/dev/vdb' });
    const del = await call('DELETE', `/volumes/${v.id}`);
    expect(del.status).toBe(400);
    expect(del.body.badRequest.message).toMatch(/^Invalid volume: Volume status must be available or error/);
    await call('POST', `/volumes/${v.id}/action`, { 'os-detach': {} });
    await mod.settled();
    expect((await call('GET', `/volumes/${v.id}`)).body.volume.status).toBe('available');
    expect((await call('POST', `/volumes/${v.id}/action`, { 'os-extend': { new_size: 3 } })).status).toBe(202);
    await mod.settled();
    expect((await call('GET', `/volumes/${v.id}`)).body.volume.size).toBe(3);
    expect((await call('POST', `/volumes/${v.id}/action`, { 'os-nope': {} })).status).toBe(400);
  });

  it('snapshots a volume, lists and updates snapshot metadata, and creates a volume from it', async () => {
    const { call, mod, backend } = await setup();
    const v = (await call('POST', '/volumes', { volume: { size: 1 } })).body.volume;
    await mod.settled();
    expect((await call('POST', '/snapshots', { snapshot: { volume_id: null } })).status).toBe(404);
    const s = (await call('POST', '/snapshots', { snapshot: { volume_id: v.id, name: 's', metadata: { a: '1' } } }))
      .body.snapshot;
    await mod.settled();
    const shown = (await call('GET', `/snapshots/${s.id}`)).body.snapshot;
    expect(shown).toMatchObject({ status: 'available', size: 1, 'os-extended-snapshot-attributes:progress': '100%' });
    expect((await call('PUT', `/snapshots/${s.id}/metadata`, { metadata: { b: '2' } })).body).toEqual({
      metadata: { b: '2' },
    });
    expect((await call('GET', '/snapshots/detail?name=s')).body.snapshots).toHaveLength(1);
    const v2 = (await call('POST', '/volumes', { volume: { size: 2, snapshot_id: s.id } })).body.volume;
    await mod.settled();
    expect((await call('GET', `/volumes/${v2.id}`)).body.volume).toMatchObject({
      status: 'available',
      snapshot_id: s.id,
      size: 2,
    });
    expect(backend.volumes.get(`fake://volume-${v2.id}`)?.from).toBe(`fake://snapshot-${s.id}`);
    expect((await call('DELETE', `/volumes/${v.id}`)).status).toBe(400);
    expect((await call('DELETE', `/snapshots/${s.id}`)).status).toBe(202);
  });

  it('marks a volume error when the backend fails, and serves types, zones, extensions, quotas and limits', async () => {
    const { call, mod, backend } = await setup();
    backend.failNext('create');
    const v = (await call('POST', '/volumes', { volume: { size: 1 } })).body.volume;
    await mod.settled();
    expect((await call('GET', `/volumes/${v.id}`)).body.volume.status).toBe('error');
    expect((await call('GET', '/types')).body.volume_types[0].name).toBe('__DEFAULT__');
    expect((await call('GET', '/os-availability-zone')).body.availabilityZoneInfo[0].zoneName).toBe('nova');
    expect((await call('GET', '/extensions')).body.extensions.length).toBeGreaterThan(0);
    expect((await call('GET', '/os-quota-sets/p1?usage=True')).body.quota_set.volumes).toEqual({
      limit: 10,
      in_use: 1,
      reserved: 0,
      allocated: 0,
    });
    expect((await call('GET', '/limits')).body.limits.absolute.totalGigabytesUsed).toBe(1);
  });
});
