/**
 * Real processes: a bundled scenario at smoke size in `proc` (site processes behind fault proxies, one killed and
 * restarted) and in `netns` when this machine allows namespaces (root); skipped with the reason otherwise.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioFile } from '../cli.ts';
import { loadScenario } from '../load.ts';
import { netnsUnavailable } from '../netns/netns.ts';
import { shrink } from '../testing/shrink.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-scenario-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bundled = (name: string, sites: string[]) =>
  shrink(loadScenario(join(import.meta.dirname, '..', `${name}.yaml`)), { sites, maxHosts: 0, timeScale: 0.15 });

describe('scenarios on real processes', { timeout: 240_000 }, () => {
  it('proc: site-crash-restart — a killed site process restarts from its file and loses nothing', async () => {
    const out = join(dir, 'proc');
    const o = await runScenarioFile(bundled('site-crash-restart', ['paris', 'nantes']), { mode: 'proc', seed: 1, out });
    expect(o.failed).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      mode: string;
      timeline: { markers: { label: string }[] };
    };
    expect(report.mode).toBe('proc');
    expect(report.timeline.markers.map((m) => m.label)).toEqual(['kill nantes', 'restart nantes', 'latency 80 ms']);
  });

  const why = netnsUnavailable();
  it.skipIf(why !== undefined)(
    `netns: partition-heal across namespaces${why ? ` (skipped: ${why})` : ''}`,
    async () => {
      const out = join(dir, 'netns');
      // 100 ms between the sites: each site's path to the broker carries 50 ms per direction.
      const s = bundled('partition-heal', ['paris', 'lyon']);
      s.links.default = { ...s.links.default, latency: 100 };
      s.links.between = [];
      const o = await runScenarioFile(s, { mode: 'netns', seed: 1, out });
      expect(o.failed).toEqual([]);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { mode: string; fidelity: string[] };
      expect(report.mode).toBe('netns');
      // The declared latency is measurable: each site's round trip to the broker is at least the 100 ms declared.
      const line = report.fidelity.find((f) => f.startsWith('measured site-to-broker round trip')) ?? '';
      const rtts = [...line.matchAll(/(paris|lyon) ([\d.]+) ms \(declared ([\d.]+) ms\)/g)];
      expect(rtts.map((m) => Number(m[3]))).toEqual([100, 100]);
      for (const m of rtts) expect(Number(m[2])).toBeGreaterThanOrEqual(95);
      expect(report.fidelity.some((f) => /links shaped by (tc netem|a fault proxy)/.test(f))).toBe(true);
    },
  );
});
