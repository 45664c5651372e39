/**
 * `npm run bench -- scenarios`: how the `sim` level scales. A partition-heal with N full federated sites (one
 * half cut off from the other for 10 s of virtual time, users created on both sides), for growing N: wall time,
 * CPU, peak RSS, virtual seconds per wall second and site-to-site messages. `BENCH_SCENARIO_SITES=3,10,25`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenarioFile } from '../scenarios/cli.ts';
import { parseScenario } from '../scenarios/load.ts';

function scenarioYaml(n: number): string {
  const half = Math.ceil(n / 2);
  const names = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  return [
    'name: scale',
    `sites: [{ name: s, count: ${n}, hosts: 0 }]`,
    'links: { default: { latency: 20ms } }',
    'duration: 30s',
    `workload: [{ kind: identity-churn, at: 0s, for: 20s, rate: 0.1/s, sites: [s1, s${n}] }]`,
    `faults: [{ at: 5s, partition: [[${names.slice(0, half).join(', ')}], [${names.slice(half).join(', ')}]] }, { at: 15s, heal: true }]`,
    'check: [{ converged_within: 15s }, { lost_writes: 0 }]',
    'measure: [convergence, lost_writes, replication_bytes]',
    '',
  ].join('\n');
}

/** Runs the group. */
export async function benchScenarios(): Promise<void> {
  const sizes = (process.env.BENCH_SCENARIO_SITES ?? '3,10,25').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-scenarios-'));
  try {
    console.log(
      'sites | wall s | CPU s | peak RSS MiB | virtual s / wall s | messages | converged after heal (ms) | ok',
    );
    for (const n of sizes) {
      const s = parseScenario(scenarioYaml(n));
      const t = performance.now();
      const o = await runScenarioFile(s, { mode: 'sim', seed: 1, out: join(dir, String(n)) });
      const wall = (performance.now() - t) / 1000;
      const r = o.results[0];
      if (!r) continue;
      const conv = r.rec.heals.map((h) => h.convergedAfterMs).join(',');
      const cpu = (r.resources.cpuUserMs + r.resources.cpuSystemMs) / 1000;
      console.log(
        `${n} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${r.resources.maxRssMiB} | ${(s.durationMs / 1000 / wall).toFixed(2)} | ${r.traffic.messages} | ${conv} | ${o.ok}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
