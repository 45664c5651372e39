/**
 * createImage of a volume-backed server (Nova's snapshot_volume_backed) and booting the image it makes (Nova's
 * image-defined block device mapping): compute + the real volume module over a fake backend, a fake fleet, and a
 * small Glance stand-in over HTTP (createImage talks to Glance's API as Nova does).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/ports/clock.ts';
import type { Image } from '../../../shared/schemas/catalog/index.ts';
import type { IdentityService, ImageService } from '../../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import { fakeVolumeBackend } from '../../volume/backend.ts';
import { createVolume } from '../../volume/index.ts';
import { seedDefaultFlavors } from '../flavors.ts';
import { createCompute } from '../index.ts';
import { fakeFleet, fakeNetwork, fakePlacement, testHost, testImage } from '../testing/fakes.ts';
import { imageBlockDevices } from './create-image.ts';

let glance: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (glance ? glance.close(() => resolve()) : resolve()));
  glance = undefined;
});

/** Glance's create + upload, keeping images in memory; getForBoot reads them back. */
async function glanceStub(): Promise<ImageService & { images: Map<string, Image> }> {
  const images = new Map<string, Image>([[testImage().id, testImage()]]);
  let n = 0;
  glance = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString('utf8');
    });
    req.on('end', () => {
      const file = /\/v2\/images\/([^/]+)\/file$/.exec(req.url ?? '');
      if (req.method === 'POST') {
        const { name, disk_format, container_format, min_disk, min_ram, ...properties } = JSON.parse(body) as Record<
          string,
          string
        >;
        // Glance's schema: min_disk and min_ram are integers.
        if ([min_disk, min_ram].some((v) => v !== undefined && typeof v !== 'number')) {
          res.writeHead(400).end();
          return;
        }
        const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
        images.set(id, {
          ...testImage(),
          id,
          name: name ?? null,
          disk_format: disk_format ?? null,
          container_format: container_format ?? null,
          status: 'queued',
          size: null,
          properties,
        } as Image);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
        return;
      }
      const img = file ? images.get(file[1] ?? '') : undefined;
      if (req.method === 'PUT' && img) {
        images.set(img.id, { ...img, status: 'active', size: body.length });
        res.writeHead(204).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => glance?.listen(0, '127.0.0.1', resolve));
  const port = (glance.address() as AddressInfo).port;
  return {
    images,
    getForBoot(_auth, id) {
      const img = images.get(id);
      if (!img) throw new Error(`no image ${id}`);
      return img;
    },
    fileUrl: (id) => `http://127.0.0.1:${port}/image/v2/images/${id}/file`,
  };
}

async function setup() {
  const deps = await testDeps({ clock: systemClock });
  const tokens = fakeTokens();
  const token = tokens.add(authFor());
  const identity: IdentityService = { tokens, bootstrap: async () => {} };
  const images = await glanceStub();
  const fleet = fakeFleet([testHost('host1', 1)]);
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
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as any };
  };
  const nova = (method: string, path: string, body?: unknown, version?: string) =>
    call(computeApp, method, `/compute/v2.1${path}`, body, version);
  const cinder = (method: string, path: string, body?: unknown) =>
    call(volumeApp, method, `/volume/v3/p1${path}`, body);
  const settled = async () => {
    await compute.settled();
    await volume.settled();
  };
  return { nova, cinder, settled, images };
}

describe('createImage of a volume-backed server', () => {
  it('snapshots the root volume into an image-defined BDM; booting that image makes a volume from it', async () => {
    const { nova, cinder, settled, images } = await setup();
    const origin = (await cinder('POST', '/volumes', { volume: { size: 1, imageRef: testImage().id } })).json.volume.id;
    await settled();
    const created = await nova('POST', '/servers', {
      server: {
        name: 'bfv',
        flavorRef: '1',
        block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: origin, boot_index: 0 }],
      },
    });
    await settled();
    const server = created.json.server.id;

    const res = await nova('POST', `/servers/${server}/action`, { createImage: { name: 'snap1' } }, '2.45');
    expect(res.status).toBe(202);
    const imageId = res.json.image_id;
    expect(res.headers.get('location')).toMatch(new RegExp(`/v2/images/${imageId}$`));
    const image = images.images.get(imageId);
    expect(image).toMatchObject({ status: 'active', size: 0, name: 'snap1' });
    expect(image?.properties).toMatchObject({ bdm_v2: 'True', root_device_name: '/dev/vda' });
    const bdm = JSON.parse(image?.properties.block_device_mapping ?? '[]');
    expect(bdm).toMatchObject([
      { source_type: 'snapshot', destination_type: 'volume', boot_index: 0, volume_size: 1, device_name: '/dev/vda' },
    ]);
    const snap = (await cinder('GET', `/snapshots/${bdm[0].snapshot_id}`)).json.snapshot;
    expect(snap).toMatchObject({ status: 'available', volume_id: origin });
    expect(imageBlockDevices(image as Image)).toEqual([
      { source: 'snapshot', uuid: snap.id, sizeGiB: 1, bootIndex: 0, deleteOnTermination: false },
    ]);

    const second = await nova('POST', '/servers', { server: { name: 'from-snap', flavorRef: '1', imageRef: imageId } });
    expect(second.status).toBe(202);
    await settled();
    const shown = (await nova('GET', `/servers/${second.json.server.id}`, undefined, '2.3')).json.server;
    expect(shown.status).toBe('ACTIVE');
    const attached = shown['os-extended-volumes:volumes_attached'];
    expect(attached).toHaveLength(1);
    const vol = (await cinder('GET', `/volumes/${attached[0].id}`)).json.volume;
    expect(vol).toMatchObject({ snapshot_id: snap.id, status: 'in-use' });
    expect(vol.volume_image_metadata.image_id).toBe(testImage().id);
  });

  it('refuses an image-backed server (409) and a missing name (400); before 2.45 no body', async () => {
    const { nova, settled } = await setup();
    const created = await nova('POST', '/servers', {
      server: { name: 'plain', flavorRef: '1', imageRef: testImage().id },
    });
    await settled();
    const id = created.json.server.id;
    expect((await nova('POST', `/servers/${id}/action`, { createImage: { name: 'x' } })).status).toBe(409);
    expect((await nova('POST', `/servers/${id}/action`, { createImage: {} })).status).toBe(400);
  });
});
