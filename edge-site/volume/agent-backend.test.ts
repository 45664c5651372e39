/**
 * The volume module over agent hosts: two fake hosts whose agents run the real command executor on the fake driver
 * (memory volume storage), behind a small fleet that dedupes request ids as agents do. Placement, copies on the
 * source's host, cross-host attach through an export, boot volumes on the server's host, the site-folder fallback.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/ports/clock.ts';
import type { AgentCommand, HostInventory } from '../../shared/schemas/agent-protocol.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import { createFakeDriver, type FakeDriver } from '../../site-agent/drivers/fake/index.ts';
import { execute } from '../../site-agent/execute.ts';
import type { MemoryVolumeStorage } from '../../site-agent/volumes/memory-storage.ts';
import { testHost } from '../compute/testing/fakes.ts';
import { volumes } from '../db/schema/volume.ts';
import type { BootVolumeRequest, Fleet, HostState, ImageService } from '../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../testing/deps.ts';
import { createVolume } from './index.ts';

const image: ImageService = {
  getForBoot: (_auth, id) =>
    ({ id, name: 'img', disk_format: 'raw', container_format: 'bare', min_disk: 0, min_ram: 0, size: 1024 }) as Image,
  fileUrl: (id) => `http://x/${id}`,
};

/** Hosts running the agent's executor on fake drivers; `sent` logs `host op`. */
async function agentFleet(spec: Array<{ id: string; diskGiB: number; storage?: boolean }>) {
  const drivers = new Map<string, FakeDriver>();
  const hosts: HostState[] = [];
  let n = 1;
  for (const h of spec) {
    const driver = createFakeDriver({ clock: systemClock, inventory: { diskGiB: h.diskGiB }, spawnDelayMs: 0 });
    drivers.set(h.id, driver);
    const inventory: HostInventory = { ...(await driver.inventory()) };
    if (h.storage !== false && driver.volumeStorage) inventory.volumeStorage = await driver.volumeStorage.capacity();
    hosts.push(testHost(h.id, n++, { inventory }));
  }
  const done = new Map<string, unknown>();
  /** Ops whose reply is lost (executed on the host, never answered: the site went away). */
  const lose = new Set<string>();
  const sent: string[] = [];
  const commands: Array<{ host: string; command: AgentCommand }> = [];
  const fleet: Fleet = {
    hosts: () => hosts,
    host: (id) => hosts.find((h) => h.id === id),
    setEnabled: async () => {
      throw new Error('not in this test');
    },
    async send<R>(host: string, command: AgentCommand, opts: { requestId?: string } = {}): Promise<R> {
      const key = opts.requestId ?? `auto-${sent.length}`;
      sent.push(`${host} ${command.op}`);
      commands.push({ host, command });
      if (!done.has(key)) {
        const driver = drivers.get(host);
        if (!driver) throw new Error(`no host ${host}`);
        done.set(key, (await execute(driver, command)).result);
      }
      if (lose.delete(command.op)) return new Promise<R>(() => {});
      return done.get(key) as R;
    },
    subscribe: () => () => {},
  };
  const storage = (id: string) => drivers.get(id)?.volumeStorage as MemoryVolumeStorage;
  return { fleet, drivers, sent, commands, storage, lose };
}

async function setup(spec: Array<{ id: string; diskGiB: number; storage?: boolean }>) {
  const deps = await testDeps({ clock: systemClock });
  const f = await agentFleet(spec);
  return { ...(await site(deps, f)), ...f };
}

/** A volume module (a site) over `deps`' database and the hosts of `f`. */
async function site(deps: Awaited<ReturnType<typeof testDeps>>, f: Awaited<ReturnType<typeof agentFleet>>) {
  const tokens = fakeTokens();
  const admin = authFor({ roles: ['admin'] });
  const token = tokens.add(admin);
  const mod = await createVolume(deps, { identity: { tokens, bootstrap: async () => {} }, image, fleet: f.fleet });
  const app = mountForTest(deps, '/volume', mod.app);
  const cinder = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/volume/v3/p1${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, Record<string, unknown>> };
  };
  const create = async (volume: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const r = await cinder('POST', '/volumes', { volume: { size: 1, ...volume }, ...extra });
    expect(r.status).toBe(202);
    await mod.settled();
    return String(r.json.volume?.id);
  };
  const show = async (id: string) => (await cinder('GET', `/volumes/${id}`)).json.volume ?? {};
  const row = async (id: string) => (await deps.db.db.select().from(volumes).where(eq(volumes.id, id)))[0];
  return { deps, mod, cinder, create, show, row, admin };
}

describe('volumes on agent hosts', () => {
  it('places a volume on the host with the most free space, copies it where it lives, honours hints', async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    const v1 = await t.create({ name: 'v1', size: 2 });
    expect(await t.show(v1)).toMatchObject({ status: 'available', 'os-vol-host-attr:host': 'hostB@memory#memory' });
    expect(t.storage('hostB').volumes.get(`volume-${v1}`)).toEqual({ sizeGiB: 2 });

    const snap = await t.cinder('POST', '/snapshots', { snapshot: { volume_id: v1, name: 's1' } });
    expect(snap.status).toBe(202);
    await t.mod.settled();
    const snapId = String(snap.json.snapshot?.id);
    expect(t.storage('hostB').volumes.get(`snapshot-${snapId}`)).toMatchObject({ source: `volume-${v1}` });
    const fromSnap = await t.create({ snapshot_id: snapId, size: 3 });
    expect(t.storage('hostB').volumes.get(`volume-${fromSnap}`)).toEqual({ sizeGiB: 3, source: `snapshot-${snapId}` });

    const elsewhere = await t.create({ name: 'v3' }, { 'OS-SCH-HNT:scheduler_hints': { different_host: v1 } });
    expect((await t.show(elsewhere))['os-vol-host-attr:host']).toBe('hostA@memory#memory');

    expect((await t.cinder('POST', `/volumes/${v1}/action`, { 'os-extend': { new_size: 5 } })).status).toBe(202);
    await t.mod.settled();
    expect(t.storage('hostB').volumes.get(`volume-${v1}`)?.sizeGiB).toBe(5);

    const summary = await t.cinder('GET', '/volumes/summary');
    expect(summary.json['volume-summary']).toEqual({ total_size: 5 + 3 + 1, total_count: 3, metadata: {} });
    expect((await t.cinder('DELETE', `/volumes/${fromSnap}`)).status).toBe(202);
    await t.mod.settled();
    expect(t.storage('hostB').volumes.has(`volume-${fromSnap}`)).toBe(false);
    // Resent commands (same request id) ran once on the host.
    expect(t.sent.filter((s) => s === 'hostB volume_create')).toHaveLength(3);
  });

  it('attaches a volume of another host through an export bound to the server host, stopped on detach', async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    const vol = await t.create({ name: 'remote' });
    await t.drivers.get('hostA')?.spawn({
      id: 's1',
      name: 's1',
      hostname: 's1',
      projectId: 'p1',
      vcpus: 1,
      memoryMiB: 64,
      diskGiB: 1,
      image: null,
      ports: [],
    });
    await t.mod.attachToServer(t.admin, vol, { id: 's1', host: 'hostA' } as never, null);
    await t.mod.settled();
    expect((await t.show(vol)).status).toBe('in-use');
    const attach = t.commands.find((c) => c.command.op === 'attach_volume');
    expect(attach?.host).toBe('hostA');
    const spec = attach?.command.op === 'attach_volume' ? attach.command.volume : undefined;
    expect(spec).toMatchObject({ volumeId: vol, format: 'raw', nbd: { pskIdentity: 'hostA' } });
    expect([...t.storage('hostB').exports.keys()]).toEqual([`volume-${vol}@hostA`]);

    await t.mod.detachFromServer(t.admin, vol, 's1');
    await t.mod.settled();
    expect((await t.show(vol)).status).toBe('available');
    expect(t.storage('hostB').exports.size).toBe(0);
    expect(t.sent.slice(-2)).toEqual(['hostA detach_volume', 'hostB volume_unexport']);
  });

  it('attaches a volume of the server host as its local file, with no export', async () => {
    const t = await setup([{ id: 'hostA', diskGiB: 100 }]);
    const vol = await t.create({ name: 'local' });
    await t.drivers.get('hostA')?.spawn({
      id: 's1',
      name: 's1',
      hostname: 's1',
      projectId: 'p1',
      vcpus: 1,
      memoryMiB: 64,
      diskGiB: 1,
      image: null,
      ports: [],
    });
    await t.mod.attachToServer(t.admin, vol, { id: 's1', host: 'hostA' } as never, null);
    await t.mod.settled();
    const attach = t.commands.find((c) => c.command.op === 'attach_volume');
    expect(attach?.command).toMatchObject({ volume: { path: `memory://fake/volume-${vol}` } });
    expect(t.sent).not.toContain('hostA volume_export');
  });

  it("creates a boot volume on the server's host, not the emptiest one", async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    await t.mod.prepareBootVolumes?.(t.admin, 'srv1', [
      { source: 'image', uuid: 'img1', bootIndex: 0, sizeGiB: 1, deleteOnTermination: true } as BootVolumeRequest,
    ]);
    const disks = await t.mod.bootDisks?.('srv1', 'hostA');
    expect(disks?.root?.path).toMatch(/^memory:\/\/fake\/volume-/);
    expect(t.commands.find((c) => c.command.op === 'volume_create')).toMatchObject({
      host: 'hostA',
      command: { source: { kind: 'image', image: { id: 'img1', url: 'http://x/img1' } } },
    });
  });

  it('finishes a create interrupted by a site restart on the host it was placed on, running it once', async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    t.lose.add('volume_create');
    const r = await t.cinder('POST', '/volumes', { volume: { size: 1, name: 'mid' } });
    const id = String(r.json.volume?.id);
    await systemClock.sleep(50);
    expect((await t.row(id))?.status).toBe('creating');
    // Placed (the host is recorded before it is told), not answered.
    expect((await t.show(id))['os-vol-host-attr:host']).toMatch(/^hostB@/);

    const restarted = await site(t.deps, t);
    await restarted.mod.start?.();
    await restarted.mod.settled();
    expect((await restarted.show(id)).status).toBe('available');
    expect(t.storage('hostB').volumes.has(`volume-${id}`)).toBe(true);
    expect(t.sent.filter((s) => s === 'hostB volume_create')).toHaveLength(2);
    expect(t.drivers.get('hostA')?.volumeStorage).toBeDefined();
  });

  it("copies a boot volume's snapshot to the server's host through an export made for the copy", async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    const origin = await t.create({ name: 'origin' });
    const snap = await t.cinder('POST', '/snapshots', { snapshot: { volume_id: origin } });
    await t.mod.settled();
    const snapId = String(snap.json.snapshot?.id);
    await t.mod.prepareBootVolumes?.(t.admin, 'srv2', [
      { source: 'snapshot', uuid: snapId, bootIndex: 0, deleteOnTermination: true } as BootVolumeRequest,
    ]);
    const disks = await t.mod.bootDisks?.('srv2', 'hostA');
    const root = disks?.root?.volumeId ?? '';
    expect(disks?.root?.nbd).toBeUndefined();
    expect(t.storage('hostA').volumes.get(`volume-${root}`)?.source).toMatch(/^nbd:snapshot-/);
    expect(t.storage('hostB').exports.size).toBe(0);
    expect(t.sent.slice(-3)).toEqual(['hostB volume_export', 'hostA volume_create', 'hostB volume_unexport']);
  });

  it("moves an existing root volume kept by another host to the server's host at boot", async () => {
    const t = await setup([
      { id: 'hostA', diskGiB: 100 },
      { id: 'hostB', diskGiB: 200 },
    ]);
    const vol = await t.create({ name: 'root', size: 3, imageRef: 'img1' });
    expect((await t.show(vol))['os-vol-host-attr:host']).toBe('hostB@memory#memory');
    await t.mod.prepareBootVolumes?.(t.admin, 'srv3', [
      { source: 'volume', uuid: vol, bootIndex: 0, deleteOnTermination: false } as BootVolumeRequest,
    ]);
    const disks = await t.mod.bootDisks?.('srv3', 'hostA');
    expect(disks?.root).toMatchObject({ volumeId: vol, path: `memory://fake/volume-${vol}` });
    expect(disks?.root?.nbd).toBeUndefined();
    expect((await t.show(vol))['os-vol-host-attr:host']).toBe('hostA@memory#memory');
    expect(t.storage('hostA').volumes.get(`volume-${vol}`)).toMatchObject({ sizeGiB: 3 });
    expect(t.storage('hostB').volumes.has(`volume-${vol}`)).toBe(false);
    expect(t.storage('hostB').exports.size).toBe(0);
  });

  it('keeps volumes in the site folder when no host keeps volumes', async () => {
    const t = await setup([{ id: 'hostA', diskGiB: 100, storage: false }]);
    const vol = await t.create({ name: 'here' });
    expect((await t.row(vol))?.path).toMatch(/\/volumes\/volume-/);
    expect((await t.show(vol))['os-vol-host-attr:host']).toBe('site@file#file');
    expect(t.sent).toEqual([]);
  });
});
