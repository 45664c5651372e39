/**
 * Regenerates the sample reports committed under scenarios/docs/ (`npm run scenarios:docs`): partition-heal and
 * wan-latency-sweep in `sim` with their bundled seeds. Pass scenario names to regenerate only those;
 * `--rerender` redraws report.md and the plots from the existing report.json without running anything.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScenarioFile } from './cli.ts';
import { loadScenario } from './load.ts';
import { type Report, writeReport } from './report/write.ts';

const args = process.argv.slice(2);
const rerender = args.includes('--rerender');
const given = args.filter((a) => a !== '--rerender');
const names = given.length > 0 ? given : ['partition-heal', 'wan-latency-sweep'];
const t0 = performance.now();
for (const name of names) {
  if (rerender) {
    const dir = join(import.meta.dirname, 'docs', name);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    writeReport(dir, report, JSON.parse(readFileSync(join(dir, 'resources.json'), 'utf8')));
    process.stdout.write(`${name}: redrawn from ${dir}/report.json\n`);
    continue;
  }
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
