/**
 * `npm run bench -- scenarios`: how the `sim` level scales. The shape of scenarios/partition-heal-1000.yaml at N
 * sites (two halves `w*` / `e*` cut apart for 30 s of virtual time, users created on both sides, heal, every write
 * checked at every replica), for growing N: wall time, CPU, peak RSS, virtual seconds per wall second, site-to-site
 * messages, convergence after the heal. `BENCH_SCENARIO_SITES=10,50,100` (the default); 250, 500, 1000 take longer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenarioFile } from '../scenarios/cli.ts';
import { parseScenario } from '../scenarios/load.ts';

/** The bundled 1,000-site file with `count: 500` per half replaced by n/2, and its churn sites renamed to fit. */
function scenarioYaml(n: number): string {
  const half = Math.max(1, Math.floor(n / 2));
  const mid = Math.max(1, Math.ceil(half / 2));
  return readFileSync(join(import.meta.dirname, '..', 'scenarios', 'partition-heal-1000.yaml'), 'utf8')
    .replaceAll('count: 500', `count: ${half}`)
    .replace(/sites: \[w1, w250, w500, e1, e250, e500\]/, `sites: [w1, w${mid}, w${half}, e1, e${mid}, e${half}]`);
}

/** Runs the group. */
export async function benchScenarios(): Promise<void> {
  const sizes = (process.env.BENCH_SCENARIO_SITES ?? '10,50,100').split(',').map(Number);
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
