/** The volume module as compute drives it: hot-plug through the hook, boot volumes, release on server delete. */

import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { isBrumeError } from '../../shared/errors.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import { parseBlockDevices } from '../compute/servers/bdm.ts';
import { volumeAttachments, volumes } from '../db/schema/volume.ts';
import type { BootVolumeRequest, ImageService } from '../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../testing/deps.ts';
import type { VolumeHotplug } from './attachments.ts';
import { fakeVolumeBackend } from './backend.ts';
import { createVolume } from './index.ts';

const image: ImageService = {
  getForBoot: (_auth, id) =>
    ({ id, name: 'img', disk_format: 'raw', container_format: 'bare', min_disk: 0, min_ram: 0, size: 1024 }) as Image,
  fileUrl: (id) => `http://x/${id}`,
};

/** A hook recording what the hosts were told; `fail` makes the next call of that kind throw. */
function recordingHotplug() {
  const calls: string[] = [];
  const fail = { attach: false, detach: false };
  const hook: VolumeHotplug = {
    async attach(i) {
      calls.push(`attach ${i.host} ${i.serverId} ${i.volumeId} ${i.path}`);
      if (fail.attach) throw new Error('qmp: device_add failed');
      return '/dev/vdc';
    },
    async detach(i) {
      calls.push(`detach ${i.host} ${i.serverId} ${i.volumeId}`);
      if (fail.detach) throw new Error('hypervisor.detach_timeout');
    },
  };
  return { hook, calls, fail };
}

async function setup() {
  const deps = await testDeps();
  const auth = authFor();
  const tokens = fakeTokens();
  const token = tokens.add(auth);
  const plug = recordingHotplug();
  const mod = await createVolume(deps, {
    identity: { tokens, bootstrap: async () => {} },
    image,
    backend: fakeVolumeBackend(),
    hotplug: plug.hook,
  });
  const app = mountForTest(deps, '/volume', mod.app);
  const getVolume = async (id: string) => (await deps.db.db.select().from(volumes).where(eq(volumes.id, id)))[0];
  const statusOf = async (id: string) => {
    await mod.settled();
    return { rows: await mod.attachmentsOfServer('s1'), status: (await getVolume(id))?.status };
  };
  /** Creates a volume through the module's API (as clients do) and waits until it exists. */
  const createVia = async (extra: Record<string, unknown> = {}) => {
    const res = await app.request('/volume/v3/p1/volumes', {
      method: 'POST',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ volume: { size: 1, ...extra } }),
    });
    const id = ((await res.json()) as { volume: { id: string } }).volume.id;
    await mod.settled();
    return id;
  };
  return { auth, plug, mod, statusOf, getVolume, createVia, deps };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isBrumeError(err) ? `${err.kind}:${err.code}` : String(err);
  }
};

describe('server volumes', () => {
  it('hot-plugs through the hook: attaching → in-use → detaching → available; failures roll back', async () => {
    const { auth, plug, mod, statusOf, createVia } = await setup();
    const v = await createVia();
    const a = await mod.attachToServer(auth, v, { id: 's1', host: 'h1' });
    expect(a.device).toBe('/dev/vdc');
    expect((await statusOf(v)).status).toBe('in-use');
    expect(plug.calls).toEqual([`attach h1 s1 ${v} fake://volume-${v}`]);

    plug.fail.detach = true;
    await mod.detachFromServer(auth, v, 's1');
    expect((await statusOf(v)).status).toBe('in-use');
    plug.fail.detach = false;
    await mod.detachFromServer(auth, v, 's1');
    const after = await statusOf(v);
    expect(after.status).toBe('available');
    expect(after.rows).toEqual([]);

    plug.fail.attach = true;
    await mod.attachToServer(auth, v, { id: 's1', host: 'h1' });
    expect(await statusOf(v)).toMatchObject({ status: 'available', rows: [] });
    expect(await code(mod.detachFromServer(auth, v, 's1'))).toBe('not_found:volume.attachment_not_found');
  });

  it('after a restart, an interrupted attach is dropped and an interrupted detach rolled back', async () => {
    const { mod, getVolume, createVia, deps } = await setup();
    const free = await createVia();
    const held = await createVia();
    const row = (volumeId: string, status: string) => ({
      id: `a-${volumeId}`,
      volumeId,
      serverId: 's1',
      hostName: 'h1',
      device: '/dev/vdc',
      status,
      attachedAt: null,
      deleteOnTermination: false,
      bootIndex: null,
    });
    await deps.db.db.insert(volumeAttachments).values([row(free, 'attaching'), row(held, 'detaching')]);
    await deps.db.db.update(volumes).set({ status: 'attaching' }).where(eq(volumes.id, free));
    await deps.db.db.update(volumes).set({ status: 'detaching' }).where(eq(volumes.id, held));
    await mod.start?.();
    expect((await getVolume(free))?.status).toBe('available');
    expect((await getVolume(held))?.status).toBe('in-use');
    expect((await mod.attachmentsOfServer('s1')).map((a) => a.volumeId)).toEqual([held]);
  });

  it('boots from volumes, refuses bad mappings with 400, and frees or deletes them with the server', async () => {
    const { auth, mod, statusOf, getVolume, createVia } = await setup();
    const root = await createVia({ imageRef: 'img-1' });
    const blank = await createVia();
    const prepare = (requests: BootVolumeRequest[]) =>
      mod.prepareBootVolumes?.(auth, 's1', requests) ?? Promise.resolve();
    // A blank volume is not bootable; an unknown one is a bad mapping.
    expect(await code(prepare([{ source: 'volume', uuid: blank, bootIndex: 0, deleteOnTermination: false }]))).toBe(
      'bad_request:compute.invalid_bdm',
    );
    expect(await code(prepare([{ source: 'volume', uuid: 'nope', bootIndex: 0, deleteOnTermination: false }]))).toBe(
      'bad_request:compute.invalid_bdm',
    );
    expect(await mod.attachmentsOfServer('s1')).toEqual([]);
    await prepare([
      { source: 'volume', uuid: root, bootIndex: 0, deleteOnTermination: false },
      { source: 'image', uuid: 'img-1', sizeGiB: 2, bootIndex: null, deleteOnTermination: true },
    ]);
    const disks = await mod.bootDisks?.('s1', 'h1');
    expect(disks?.root).toMatchObject({ volumeId: root, path: `fake://volume-${root}`, format: 'raw' });
    expect(disks?.others).toHaveLength(1);
    const { rows, status } = await statusOf(root);
    expect(status).toBe('in-use');
    expect(rows.map((r) => [r.volumeId === root, r.device, r.deleteOnTermination])).toEqual([
      [true, '/dev/vda', false],
      [false, '/dev/vdc', true],
    ]);
    const created = rows.find((r) => r.volumeId !== root)?.volumeId ?? '';
    expect((await getVolume(created))?.status).toBe('in-use');
    // The root volume cannot be detached from its server.
    expect(await code(mod.detachFromServer(auth, root, 's1'))).toBe('bad_request:volume.root_detach');

    await mod.releaseServer?.('s1');
    await mod.settled();
    expect((await getVolume(root))?.status).toBe('available');
    expect(await getVolume(created)).toBeUndefined();
    expect(await mod.attachmentsOfServer('s1')).toEqual([]);
  });
});

describe('block device mappings', () => {
  it('reads v2 and legacy mappings; a root volume means no image', () => {
    expect(
      parseBlockDevices({
        imageRef: '',
        block_device_mapping_v2: [
          {
            source_type: 'volume',
            destination_type: 'volume',
            uuid: 'v1',
            boot_index: '0',
            delete_on_termination: true,
          },
          { source_type: 'blank', destination_type: 'volume', volume_size: '2', boot_index: -1 },
        ],
      }),
    ).toEqual({
      imageRef: '',
      rootIsVolume: true,
      volumeImages: [],
      volumes: [
        { source: 'volume', uuid: 'v1', bootIndex: 0, deleteOnTermination: true },
        { source: 'blank', sizeGiB: 2, bootIndex: null, deleteOnTermination: false },
      ],
    });
    expect(
      parseBlockDevices({
        block_device_mapping: [{ device_name: 'vda', volume_id: 'v9', delete_on_termination: '1' }],
      }),
    ).toMatchObject({
      rootIsVolume: true,
      volumes: [{ source: 'volume', uuid: 'v9', bootIndex: 0, deleteOnTermination: true }],
    });
    expect(
      parseBlockDevices({
        imageRef: 'img',
        block_device_mapping_v2: [{ source_type: 'image', destination_type: 'local', uuid: 'img', boot_index: 0 }],
      }),
    ).toMatchObject({ imageRef: 'img', rootIsVolume: false, volumes: [] });
    expect(() =>
      parseBlockDevices({
        block_device_mapping_v2: [
          { source_type: 'volume', destination_type: 'volume', uuid: 'a', boot_index: 0 },
          { source_type: 'volume', destination_type: 'volume', uuid: 'b', boot_index: 0 },
        ],
      }),
    ).toThrow(/Boot sequence/);
    expect(() =>
      parseBlockDevices({ block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume' }] }),
    ).toThrow(/uuid is required/);
  });
});
