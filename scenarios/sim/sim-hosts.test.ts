/**
 * Declared hosts in `sim`: real agents on the in-process bus, so runs with agents (boots, an agent crash) replay
 * bit for bit, and a restarted agent finds its fake host's VMs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createFleet } from '../../edge-site/fleet/index.ts';
import { testConfig, testDeps } from '../../edge-site/testing/deps.ts';
import { runScenarioFile } from '../cli.ts';
import { loadScenario } from '../load.ts';
import { shrink } from '../testing/shrink.ts';
import { createSimHosts } from './sim-hosts.ts';
import { virtualClock } from './virtual-clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-sim-hosts-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('sim hosts', () => {
  it('start as agents the site sees up, heartbeat on the virtual clock, and keep their VMs across a restart', async () => {
    const clock = virtualClock(Date.UTC(2026, 0, 1));
    const hosts = createSimHosts(clock, 3);
    const deps = await testDeps({ clock, config: testConfig({ site: 'a' }) });
    const site = await createFleet(deps, { bus: hosts.bus });
    try {
      const a1 = await hosts.start('a', 0, 1);
      await hosts.start('a', 0, 2);
      await vi.waitFor(() => expect(site.fleet.hosts().map((h) => h.state)).toEqual(['up', 'up']));
      await site.fleet.send('a-host1', { op: 'spawn', spec: { ...spec, id: 'vm1' } });
      // Silence past the dead-after window would mark hosts down: heartbeats keep them up.
      await clock.runUntil(clock.now() + 120_000, settle);
      expect(site.fleet.hosts().map((h) => [h.id, h.state, h.lastSeen > clock.now() - 15_000])).toEqual([
        ['a-host1', 'up', true],
        ['a-host2', 'up', true],
      ]);
      await a1.kill();
      await vi.waitFor(() => expect(site.fleet.host('a-host1')?.state).toBe('down'));
      const again = await hosts.start('a', 0, 1);
      expect(again.bootId).not.toBe(a1.bootId);
      await vi.waitFor(() => expect(site.fleet.host('a-host1')).toMatchObject({ state: 'up', bootId: again.bootId }));
      expect(await site.fleet.send('a-host1', { op: 'list' })).toMatchObject([{ id: 'vm1', powerState: 'running' }]);
      expect(hosts.started()).toBe(3);
    } finally {
      await hosts.close();
      await site.stop?.();
    }
  });
});

const spec = {
  id: 'vm',
  name: 'vm',
  hostname: 'vm',
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 512,
  diskGiB: 1,
  image: null,
  ports: [],
};

describe('scenarios with agents in sim', { timeout: 120_000 }, () => {
  it.each([
    ['agent-crash', 0.5],
    ['boot-storm', 0.1],
  ])('%s gives byte-identical report.json three times with one seed', async (name, timeScale) => {
    const s = shrink(loadScenario(join(import.meta.dirname, '..', `${name}.yaml`)), {
      maxSites: 2,
      maxHosts: 2,
      timeScale,
    });
    const texts: string[] = [];
    for (const run of ['a', 'b', 'c']) {
      const out = join(dir, `${name}-${run}`);
      const o = await runScenarioFile(s, { mode: 'sim', seed: 5, out });
      expect(o.failed).toEqual([]);
      texts.push(readFileSync(join(out, 'report.json'), 'utf8'));
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    const report = JSON.parse(texts[0] ?? '{}') as { deterministic: boolean; fidelity: string[] };
    expect(report.deterministic).toBe(true);
    expect(report.fidelity).toContain(
      '4 hosts: real agents with the fake driver on an in-process bus (heartbeats on the virtual clock, every 10 s)',
    );
  });
});
