/**
 * Regenerates the sample reports committed under scenarios/docs/ (`npm run scenarios:docs`): partition-heal and
 * wan-latency-sweep in `sim` with their bundled seeds. Pass scenario names to regenerate only those.
 */
import { join } from 'node:path';
import { runScenarioFile } from './cli.ts';
import { loadScenario } from './load.ts';

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['partition-heal', 'wan-latency-sweep'];
const t0 = performance.now();
for (const name of names) {
  const s = loadScenario(join(import.meta.dirname, `${name}.yaml`));
  const out = join(import.meta.dirname, 'docs', name);
  const o = await runScenarioFile(s, {
    mode: 'sim',
    seed: s.seed,
    out,
    progress: (line) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${name}: ${line}\n`),
  });
  process.stdout.write(
    `${name}: ${o.ok ? 'all invariants hold' : `FAILED ${o.failed.join('; ')}`} -> ${out}/report.md\n`,
  );
}
