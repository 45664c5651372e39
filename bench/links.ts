/**
 * `npm run bench -- links`: what the declared link properties do at each fidelity level. Two sites, 20 ms ± 5 ms,
 * one cut off for 15 s while users are created on both sides, at several bandwidths: convergence after the heal
 * and site-to-site bytes, per mode (`BENCH_LINKS_MODES=sim,proc,netns`; netns only as root). The netns runs also
 * print the measured round trip of each site's shaped path to the broker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenarioFile } from '../scenarios/cli.ts';
import { parseScenario } from '../scenarios/load.ts';
import { netnsUnavailable } from '../scenarios/netns/netns.ts';

function scenarioYaml(bandwidth: string | undefined): string {
  const link = bandwidth ? `{ latency: 20ms, jitter: 5ms, bandwidth: ${bandwidth} }` : '{ latency: 20ms, jitter: 5ms }';
  return [
    'name: links',
    'sites: [{ name: paris, hosts: 0 }, { name: lyon, hosts: 0 }]',
    `links: { default: ${link} }`,
    'workload: [{ kind: identity-churn, at: 0s, for: 20s, rate: 5/s, sites: all }]',
    'faults: [{ at: 3s, partition: [[paris], [lyon]] }, { at: 18s, heal: true }]',
    'check: [{ converged_within: 30s }, { lost_writes: 0 }]',
    'measure: [convergence, lost_writes, replication_bytes]',
    '',
  ].join('\n');
}

/** Runs the group. */
export async function benchLinks(): Promise<void> {
  const modes = (process.env.BENCH_LINKS_MODES ?? 'sim,netns').split(',') as ('sim' | 'proc' | 'netns')[];
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-links-'));
  try {
    console.log('mode | bandwidth | converged after heal (ms) | site-to-site bytes | ok');
    for (const mode of modes) {
      const why = mode === 'netns' ? netnsUnavailable() : undefined;
      if (why) {
        console.log(`${mode} | skipped: ${why}`);
        continue;
      }
      for (const bw of [undefined, '1mbit', '256kbit']) {
        const out = join(dir, `${mode}-${bw ?? 'none'}`);
        const o = await runScenarioFile(parseScenario(scenarioYaml(bw)), { mode, seed: 1, out });
        const r = o.results[0];
        if (!r) continue;
        const conv = r.rec.heals.map((h) => h.convergedAfterMs ?? 'never').join(',');
        console.log(`${mode} | ${bw ?? 'unlimited'} | ${conv} | ${r.traffic.bytes} | ${o.ok}`);
        if (mode === 'netns') {
          const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { fidelity: string[] };
          for (const f of report.fidelity) if (/^(measured|links shaped)/.test(f)) console.log(`  ${f}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
