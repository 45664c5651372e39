/**
 * Smoke versions of every bundled scenario in `sim` (fewer sites, a timeline ten times shorter), the determinism
 * check (same seed, same report.json bytes) and a deliberately broken invariant that must fail the run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioFile, scenarioCommand } from '../cli.ts';
import { loadScenario } from '../load.ts';
import type { Scenario } from '../schema.ts';
import { shrink } from '../testing/shrink.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-scenario-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bundled = (name: string, maxSites = 3): Scenario =>
  shrink(loadScenario(join(import.meta.dirname, '..', `${name}.yaml`)), {
    maxSites,
    maxHosts: 1,
    timeScale: 0.1,
    sweepRtt: [0, 100],
    sweepSites: [2],
  });

const run = async (s: Scenario, out: string, seed = 1) => {
  const o = await runScenarioFile(s, { mode: 'sim', seed, out: join(dir, out) });
  const report = JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')) as {
    invariants: { name: string; ok: boolean; detail: string }[];
    metrics: Record<string, unknown>;
  };
  return { o, report, text: readFileSync(join(dir, out, 'report.json'), 'utf8') };
};

// CPU time of the whole file is ~25 s; the limits leave room for a loaded machine.
describe('bundled scenarios in sim (smoke sizes)', { timeout: 180_000 }, () => {
  it('partition-heal: twice with one seed gives byte-identical report.json, every invariant holding', async () => {
    const s = bundled('partition-heal');
    const a = await run(s, 'ph-a', 7);
    const b = await run(s, 'ph-b', 7);
    expect(a.o.failed).toEqual([]);
    expect(a.report.invariants.map((i) => i.name)).toEqual([
      'converged_within',
      'lost_writes',
      'local_availability_during_partition',
    ]);
    expect(b.text).toBe(a.text);
    const md = readFileSync(join(dir, 'ph-a', 'report.md'), 'utf8');
    expect(md).toContain('## Invariants');
    for (const svg of ['latency.svg', 'availability.svg', 'convergence.svg']) {
      expect(readFileSync(join(dir, 'ph-a', svg), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
  });

  it('split-brain-identity: duplicate names land in the ledger, identically at every site', async () => {
    const { o, report } = await run(bundled('split-brain-identity'), 'sbi');
    expect(o.failed).toEqual([]);
    const c = report.metrics.conflicts as { by_kind: Record<string, number>; same_at_every_site: boolean };
    expect(c.by_kind.duplicate_name).toBeGreaterThan(0);
    expect(c.same_at_every_site).toBe(true);
  });

  it('quota-under-partition: usage is sampled against the limit', async () => {
    const { report } = await run(bundled('quota-under-partition'), 'qup');
    const inv = report.invariants.find((i) => i.name === 'quota_never_exceeded');
    expect(inv?.ok, inv?.detail).toBe(true);
    expect((report.metrics.quota as { samples: unknown[] }).samples.length).toBeGreaterThan(0);
  });

  it('wan-latency-sweep: one variant per (sites, RTT) and a summary row each', async () => {
    const { o, report } = await run(bundled('wan-latency-sweep'), 'wan');
    expect(o.failed).toEqual([]);
    const rows = report.metrics.sweep as { rtt_ms: number; 'identity.token.validate.remote': number }[];
    expect(rows.map((r) => r.rtt_ms)).toEqual([0, 100]);
    // A remote validation waits for the new user to replicate: at least one one-way trip at 100 ms RTT.
    expect(rows[1]?.['identity.token.validate.remote']).toBeGreaterThanOrEqual(50);
  });

  it.each(['boot-storm', 'site-crash-restart', 'agent-crash'])('%s holds its invariants', async (name) => {
    const { o, report } = await run(bundled(name), name);
    expect(o.failed).toEqual([]);
    expect(report.invariants.length).toBeGreaterThan(0);
  });

  it('a deliberately broken invariant fails the run: exit status 1, ok false in report.json', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'name: broken',
        'sites: [{ name: a, hosts: 0 }, { name: b, hosts: 0 }]',
        'workload: [{ kind: api-read-mix, at: 0s, for: 2s, rate: 2/s }]',
        'check: [{ conflicts_recorded: 1000 }]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'broken-out');
    expect(await scenarioCommand(['run', file, '--out', out])).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      invariants: { name: string; ok: boolean }[];
    };
    expect(report.invariants.find((i) => i.name === 'conflicts_recorded')?.ok).toBe(false);
  });

  it('a wrong scenario file exits with status 2 before starting anything', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nsites: [{ name: a }]\nfaults: [{ at: 1s, kill: z }]\n');
    expect(await scenarioCommand(['run', file])).toBe(2);
    expect(await scenarioCommand(['run', file, '--mode', 'warp'])).toBe(2);
  });
});
