/**
 * Regenerates the sample reports committed under scenarios/docs/ (`npm run scenarios:docs`): partition-heal and
 * wan-latency-sweep in `sim` with their bundled seeds. Pass scenario names to regenerate only those;
 * `--rerender` redraws report.md and the plots from the existing report.json without running anything;
 * `--sweep-sites 3,9` runs a sweep on fewer site counts than its file declares (the report says so).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScenarioFile } from './cli.ts';
import { loadScenario } from './load.ts';
import { type Report, writeReport } from './report/write.ts';

const args = process.argv.slice(2);
const rerender = args.includes('--rerender');
const sweepAt = args.indexOf('--sweep-sites');
const sweepSites = sweepAt >= 0 ? (args[sweepAt + 1] ?? '').split(',').map(Number) : undefined;
const given = args.filter((a, i) => a !== '--rerender' && (sweepAt < 0 || (i !== sweepAt && i !== sweepAt + 1)));
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
  const loaded = loadScenario(join(import.meta.dirname, `${name}.yaml`));
  const s =
    sweepSites && loaded.sweep
      ? {
          ...loaded,
          sweep: { ...loaded.sweep, sites: sweepSites },
          description: `${loaded.description ?? ''} (This sample ran ${sweepSites.join('/')} sites of the file's ${loaded.sweep.sites.join('/')}: --sweep-sites.)`,
        }
      : loaded;
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
