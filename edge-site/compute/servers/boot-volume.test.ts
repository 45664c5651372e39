/**
 * Servers and volumes together (compute + the real volume module over a fake backend, fake fleet): boot from an
 * existing volume or from a volume made of an image, the spawn spec's root disk, volumes_attached, and the release
 * of volumes on delete — also when the server's host is down.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';
import type { IdentityService } from '../../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import { fakeVolumeBackend } from '../../volume/backend.ts';
import { createVolume } from '../../volume/index.ts';
import { seedDefaultFlavors } from '../flavors.ts';
import { createCompute } from '../index.ts';
import { fakeFleet, fakeImages, fakeNetwork, fakePlacement, testHost, testImage } from '../testing/fakes.ts';

const IMAGE_ID = testImage().id;

async function setup() {
  const deps = await testDeps();
  const tokens = fakeTokens();
  const token = tokens.add(authFor());
  const identity: IdentityService = { tokens, bootstrap: async () => {} };
  const images = fakeImages();
  const host = testHost('host1', 1);
  const fleet = fakeFleet([host]);
  await seedDefaultFlavors(deps.catalog, deps.clock);
  const volume = await createVolume(deps, { identity, image: images, backend: fakeVolumeBackend() });
  const compute = await createCompute(deps, {
    identity,
    image: images,
    network: fakeNetwork(),
    fleet,
    placement: fakePlacement(fleet),
    volume,
  });
  await compute.start?.();
  const computeApp = mountForTest(deps, '/compute', compute.app);
  const volumeApp = mountForTest(deps, '/volume', volume.app);
  const call = async (app: typeof computeApp, method: string, path: string, body?: unknown, version?: string) => {
    const res = await app.request(path, {
      method,
      headers: {
        'x-auth-token': token,
        'content-type': 'application/json',
        ...(version ? { 'openstack-api-version': `compute ${version}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any };
  };
  const nova = (method: string, path: string, body?: unknown, version?: string) =>
    call(computeApp, method, `/compute/v2.1${path}`, body, version);
  const cinder = (method: string, path: string, body?: unknown) =>
    call(volumeApp, method, `/volume/v3/p1${path}`, body);
  const settled = async () => {
    await compute.settled();
    await volume.settled();
  };
  const spawnSpec = (serverId: string) =>
    fleet.sent.find((s) => s.command.op === 'spawn' && s.command.spec.id === serverId)?.command as
      | { op: 'spawn'; spec: InstanceSpec }
      | undefined;
  return { nova, cinder, settled, host, spawnSpec };
}

describe('boot from volume', () => {
  it('boots an existing bootable volume; delete frees it, and deletes it with delete_on_termination', async () => {
    const { nova, cinder, settled, spawnSpec } = await setup();
    const vol = (await cinder('POST', '/volumes', { volume: { size: 1, imageRef: IMAGE_ID } })).json.volume.id;
    await settled();
    const bdm = (v: string, deleteOnTermination: boolean) => ({
      name: 'bfv',
      flavorRef: '1',
      block_device_mapping_v2: [
        {
          source_type: 'volume',
          destination_type: 'volume',
          uuid: v,
          boot_index: 0,
          delete_on_termination: deleteOnTermination,
        },
      ],
    });
    const created = await nova('POST', '/servers', { server: bdm(vol, false) });
    expect(created.status).toBe(202);
    await settled();
    const id = created.json.server.id;
    const shown = (await nova('GET', `/servers/${id}`, undefined, '2.3')).json.server;
    expect(shown).toMatchObject({ status: 'ACTIVE', image: '' });
    expect(shown['os-extended-volumes:volumes_attached']).toEqual([{ id: vol, delete_on_termination: false }]);
    expect(spawnSpec(id)?.spec).toMatchObject({ image: null, rootVolume: { volumeId: vol, format: 'raw' } });
    expect((await cinder('GET', `/volumes/${vol}`)).json.volume.status).toBe('in-use');
    // In use: a second server cannot boot it.
    expect((await nova('POST', '/servers', { server: bdm(vol, false) })).status).toBe(400);

    await nova('DELETE', `/servers/${id}`);
    await settled();
    expect((await cinder('GET', `/volumes/${vol}`)).json.volume).toMatchObject({
      status: 'available',
      attachments: [],
    });

    const again = (await nova('POST', '/servers', { server: bdm(vol, true) })).json.server.id;
    await settled();
    await nova('DELETE', `/servers/${again}`);
    await settled();
    expect((await cinder('GET', `/volumes/${vol}`)).status).toBe(404);
  });

  it('creates the root volume from an image, and frees volumes on delete while the host is down', async () => {
    const { nova, cinder, settled, host, spawnSpec } = await setup();
    const created = await nova('POST', '/servers', {
      server: {
        name: 'from-image',
        flavorRef: '1',
        block_device_mapping_v2: [
          {
            source_type: 'image',
            destination_type: 'volume',
            uuid: IMAGE_ID,
            volume_size: 2,
            boot_index: 0,
            delete_on_termination: false,
          },
        ],
      },
    });
    expect(created.status).toBe(202);
    await settled();
    const id = created.json.server.id;
    const root = spawnSpec(id)?.spec.rootVolume?.volumeId ?? '';
    const v = (await cinder('GET', `/volumes/${root}`)).json.volume;
    expect(v).toMatchObject({ status: 'in-use', size: 2, bootable: 'true' });
    expect(v.volume_image_metadata).toMatchObject({ image_id: IMAGE_ID });

    // A data volume hot-attached too; then the host goes down and the server is deleted.
    const data = (await cinder('POST', '/volumes', { volume: { size: 1 } })).json.volume.id;
    await settled();
    expect(
      (await nova('POST', `/servers/${id}/os-volume_attachments`, { volumeAttachment: { volumeId: data } })).status,
    ).toBe(200);
    await settled();
    host.state = 'down';
    expect((await nova('DELETE', `/servers/${id}`)).status).toBe(204);
    await settled();
    expect((await nova('GET', `/servers/${id}`)).status).toBe(404);
    for (const vol of [root, data]) {
      expect((await cinder('GET', `/volumes/${vol}`)).json.volume).toMatchObject({
        status: 'available',
        attachments: [],
      });
    }
  });

  it('refuses mappings it cannot honour with 400', async () => {
    const { nova } = await setup();
    const bad = async (bdm: unknown[]) =>
      (await nova('POST', '/servers', { server: { name: 'x', flavorRef: '1', block_device_mapping_v2: bdm } })).status;
    expect(await bad([{ source_type: 'volume', destination_type: 'volume', uuid: 'nope', boot_index: 0 }])).toBe(400);
    expect(await bad([{ source_type: 'image', destination_type: 'volume', uuid: 'nope', boot_index: 0 }])).toBe(400);
    expect(await bad([{ source_type: 'blank', destination_type: 'volume', boot_index: 0 }])).toBe(400);
  });
});

describe("Nova's os-volumes and os-snapshots proxies", () => {
  it('create, list, show and delete volumes and snapshots up to 2.35; 404 from 2.36', async () => {
    const { nova, settled } = await setup();
    const created = await nova('POST', '/os-volumes', {
      volume: { size: 1, display_name: 'n1', metadata: { a: 'b' } },
    });
    expect(created.status).toBe(200);
    expect(created.json.volume).toMatchObject({ displayName: 'n1', size: 1, metadata: { a: 'b' }, attachments: [{}] });
    const id = created.json.volume.id;
    await settled();
    expect((await nova('GET', `/os-volumes/${id}`)).json.volume.status).toBe('available');
    expect((await nova('GET', '/os-volumes/detail?limit=1')).json.volumes.map((v: { id: string }) => v.id)).toEqual([
      id,
    ]);
    expect((await nova('GET', '/os-volumes?offset=1')).json.volumes).toEqual([]);
    expect((await nova('POST', '/os-volumes', { volume: { size: 0 } })).status).toBe(400);
    expect((await nova('POST', '/os-volumes', { volume: { size: '#$%' } })).status).toBe(400);
    expect((await nova('POST', '/os-volumes', { volume: {} })).status).toBe(400);
    expect((await nova('GET', '/os-volumes', undefined, '2.36')).status).toBe(404);

    const snap = await nova('POST', '/os-snapshots', { snapshot: { volume_id: id, display_name: 's1' } });
    expect(snap.status).toBe(200);
    expect(snap.json.snapshot).toMatchObject({ volumeId: id, displayName: 's1', size: 1 });
    await settled();
    expect((await nova('GET', '/os-snapshots/detail')).json.snapshots).toHaveLength(1);
    expect((await nova('DELETE', `/os-snapshots/${snap.json.snapshot.id}`)).status).toBe(202);
    await settled();
    expect((await nova('DELETE', `/os-volumes/${id}`)).status).toBe(202);
    await settled();
    expect((await nova('GET', `/os-volumes/${id}`)).status).toBe(404);
  });
});
