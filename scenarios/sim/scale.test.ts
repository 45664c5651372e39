/**
 * The scale path of `sim` at a test's size: the bundled 1,000-site partition-heal cut down to 30 sites (15 per
 * half), with the catalog hand-over warm-up, the live-document budget and cold snapshot adoption on. Checks the
 * invariants, that writes replicated across the heal, and a site-to-site message budget. The 1,000-site run is
 * a bench (bench/scenarios.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioFile } from '../cli.ts';
import { loadScenario } from '../load.ts';
import { shrink } from '../testing/shrink.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-scale-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HALF = 15;

describe('partition-heal-1000 at 30 sites in sim', { timeout: 240_000 }, () => {
  it('holds its invariants within a site-to-site message budget', async () => {
    const full = loadScenario(join(import.meta.dirname, '..', 'partition-heal-1000.yaml'));
    const names = Array.from({ length: HALF }, (_, i) => [`w${i + 1}`, `e${i + 1}`]).flat();
    const s = shrink(full, { sites: names, maxHosts: 0, timeScale: 0.5 });
    expect(s.sites.length).toBe(2 * HALF);
    expect(s.faults[0]?.partition?.map((g) => g.length)).toEqual([HALF, HALF]);
    const o = await runScenarioFile(s, { mode: 'sim', seed: s.seed, out: join(dir, 'ph30') });
    expect(o.failed).toEqual([]);
    const report = JSON.parse(readFileSync(join(dir, 'ph30', 'report.json'), 'utf8')) as {
      invariants: { name: string; ok: boolean }[];
    };
    expect(report.invariants.map((i) => i.name)).toEqual([
      'converged_within',
      'lost_writes',
      'local_availability_during_partition',
    ]);
    const r = o.results[0];
    if (!r) throw new Error('no run');
    expect(r.rec.writes.length).toBeGreaterThan(0);
    expect(r.rec.heals.map((h) => h.convergedAfterMs).every((ms) => ms !== null)).toBe(true);
    // Site-to-site messages per site per virtual second (deterministic): 4.2 with the sparse sync overlay at 30 sites;
    // a full mesh sends each site's digest to its 29 peers every 5 s, 5.8 per site-second from digests alone.
    const perSiteSecond = r.traffic.messages / s.sites.length / (s.durationMs / 1000);
    expect(perSiteSecond).toBeLessThan(8);
  });
});
