import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../../edge-site/testing/deps.ts';
import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';
import { runHypervisorContract } from '../../../shared/testing/run-hypervisor-contract.ts';
import { createFakeDriver, type FakeDriver } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-fake-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const clock = manualClock();
const files = new WeakMap<object, string>();

const spec = (id: string): InstanceSpec => ({
  id,
  name: `vm-${id}`,
  hostname: `vm-${id}`,
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 512,
  diskGiB: 1,
  image: null,
  ports: [{ id: 'port1', networkId: 'net1', mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/24'] }],
});

const openAt = (stateFile: string) => {
  const d = createFakeDriver({ clock, spawnDelayMs: 0, actionDelayMs: 0, stateFile });
  files.set(d, stateFile);
  return d;
};

runHypervisorContract('fake', {
  open: async () => openAt(join(dir, `host${n++}.json`)),
  spec,
  async restart(d) {
    await d.close();
    const file = files.get(d);
    if (!file) throw new Error('unknown driver');
    return openAt(file);
  },
  failingSpawn(d, id) {
    (d as FakeDriver).failSpawnOf(id);
    return spec(id);
  },
  volume: async (_d, volumeId) => ({ volumeId, path: `/fake/volume-${volumeId}`, format: 'raw' }),
  nics: async (d, id) => (d as FakeDriver).portsOf(id),
});

describe('fake driver controls', () => {
  it('fails the next operation once and leaves state unchanged', async () => {
    const d = createFakeDriver({ clock, spawnDelayMs: 0, actionDelayMs: 0 });
    d.failNext('spawn');
    await expect(d.spawn(spec('a'))).rejects.toMatchObject({ code: 'hypervisor.spawn_failed' });
    expect(await d.list()).toEqual([]);
    await d.spawn(spec('a'));
    d.failNext('stop');
    await expect(d.stop('a')).rejects.toMatchObject({ code: 'hypervisor.stop_failed' });
    expect((await d.inspect('a')).powerState).toBe('running');
  });

  it('fails spawns at a seeded rate, reproducibly', async () => {
    const outcomes = async () => {
      const d = createFakeDriver({ clock, spawnDelayMs: 0, spawnFailureRate: 0.5, seed: 7 });
      const r: boolean[] = [];
      for (let i = 0; i < 20; i++)
        r.push(
          await d.spawn(spec(`v${i}`)).then(
            () => true,
            () => false,
          ),
        );
      return r;
    };
    const a = await outcomes();
    expect(a).toEqual(await outcomes());
    expect(a.filter(Boolean).length).toBeGreaterThan(0);
    expect(a.filter((x) => !x).length).toBeGreaterThan(0);
  });

  it('waits its delays on the clock', async () => {
    const c = manualClock();
    const d = createFakeDriver({ clock: c, spawnDelayMs: 1000 });
    let done = false;
    const p = d.spawn(spec('slow')).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    c.advance(1000);
    await p;
    expect(done).toBe(true);
  });

  it('crashes a VM by itself and writes a boot log naming it', async () => {
    const d = createFakeDriver({ clock, spawnDelayMs: 0, actionDelayMs: 0 });
    await d.spawn(spec('c'));
    expect(await d.consoleLog('c')).toContain('vm-c');
    expect(await d.consoleLog('c')).toContain('10.0.0.5/24');
    d.crash('c');
    expect((await d.inspect('c')).powerState).toBe('crashed');
    expect((await d.start('c')).powerState).toBe('running');
  });
});
