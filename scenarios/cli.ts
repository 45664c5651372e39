/**
 * `brume scenario run FILE [--mode sim|proc|netns] [--seed N] [--out DIR]`: runs a scenario (every variant of a
 * sweep), writes the report, prints progress on stderr. Exit status: 0 all invariants hold, 1 an invariant failed
 * (or the run broke), 2 the scenario file or the arguments are wrong, 77 the mode cannot run here (skipped).
 */
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { expandSweep, loadScenario, ScenarioError } from './load.ts';
import { buildReport, writeReport } from './report/write.ts';
import { type RunResult, runScenario } from './run.ts';
import type { Scenario } from './schema.ts';
import type { WorldFactory } from './world.ts';

/** Exit status of a skipped run (the automake convention). */
export const EXIT_SKIPPED = 77;

/** Why `mode` cannot run on this machine, or undefined. */
export async function modeUnavailable(mode: string): Promise<string | undefined> {
  if (mode === 'netns') {
    const { netnsUnavailable } = await import('./netns/netns.ts');
    return netnsUnavailable();
  }
  return undefined;
}

async function factoryOf(mode: string): Promise<WorldFactory> {
  if (mode === 'proc') return (await import('./proc/proc-world.ts')).createProcWorld;
  if (mode === 'netns') return (await import('./netns/netns-world.ts')).createNetnsWorld;
  return (await import('./sim/sim-world.ts')).createSimWorld;
}

/** Outcome of {@link runScenarioFile}. */
export interface ScenarioOutcome {
  ok: boolean;
  failed: string[];
  files: string[];
  results: RunResult[];
}

/** Runs every variant of `scenario` in `mode` and writes the report to `out`. */
export async function runScenarioFile(
  scenario: Scenario,
  opts: { mode: 'sim' | 'proc' | 'netns'; seed: number; out: string; progress?: (line: string) => void },
): Promise<ScenarioOutcome> {
  const progress = opts.progress ?? (() => {});
  const factory = await factoryOf(opts.mode);
  const runs: { r: RunResult; label: string; rttMs?: number }[] = [];
  const variants = expandSweep(scenario);
  for (const [i, v] of variants.entries()) {
    if (variants.length > 1) progress(`variant ${i + 1}/${variants.length}: ${v.label}`);
    const r = await runScenario(v.scenario, { seed: opts.seed, factory, progress });
    runs.push({ r, label: v.label, rttMs: v.rttMs });
  }
  const report = buildReport(runs, opts.seed);
  const resources = runs.map(({ r, label }) => ({ label, ...r.resources, replication_bytes: r.traffic.bytes }));
  const files = writeReport(opts.out, report, resources.length === 1 ? resources[0] : resources);
  const failed = report.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
  return { ok: failed.length === 0, failed, files, results: runs.map((x) => x.r) };
}

/**
 * JS heap a `sim` run of `sites` sites may need (MiB): every site holds a replica (~3-4 MB of heap at 1,000 sites,
 * more while a heal is merged), past V8's default limit (~4 GiB) from a few hundred sites on. At most 3/4 of RAM.
 */
export function simHeapMiB(sites: number): number {
  return Math.floor(Math.min((totalmem() / 2 ** 20) * 0.75, Math.max(4096, 1024 + 12 * sites)));
}

/** Runs this command again in a Node with a `heapMiB` heap limit; its exit status. */
function rerunWithHeap(heapMiB: number): number {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${heapMiB}`, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, BRUME_SCENARIO_HEAP: String(heapMiB) },
    },
  );
  return r.status ?? 1;
}

const USAGE = 'usage: brume scenario run FILE [--mode sim|proc|netns] [--seed N] [--out DIR]';

/** The `scenario` command; returns the exit status. */
export async function scenarioCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'run') {
    console.error(USAGE);
    return sub === undefined || sub === '--help' ? 0 : 2;
  }
  let values: { mode?: string; seed?: string; out?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { mode: { type: 'string', default: 'sim' }, seed: { type: 'string' }, out: { type: 'string' } },
    }));
  } catch (err) {
    console.error(`brume scenario: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = positionals[0];
  const mode = values.mode ?? 'sim';
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (mode !== 'sim' && mode !== 'proc' && mode !== 'netns') {
    console.error(`brume scenario: --mode must be sim, proc or netns, not "${mode}"`);
    return 2;
  }
  let scenario: Scenario;
  try {
    scenario = loadScenario(file);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    console.error(`brume scenario: ${file} is not a valid scenario:\n  ${err.problems.join('\n  ')}`);
    return 2;
  }
  const seed = values.seed === undefined ? scenario.seed : Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`brume scenario: --seed must be an integer, not "${values.seed}"`);
    return 2;
  }
  const why = await modeUnavailable(mode);
  if (why) {
    console.error(`brume scenario: skipped: mode ${mode} cannot run here: ${why}`);
    return EXIT_SKIPPED;
  }
  if (mode === 'sim' && process.env.BRUME_SCENARIO_HEAP === undefined) {
    const heap = simHeapMiB(Math.max(...expandSweep(scenario).map((v) => v.scenario.sites.length)));
    if (heap > getHeapStatistics().heap_size_limit / 2 ** 20) return rerunWithHeap(heap);
  }
  const out = resolve(values.out ?? `./scenario-reports/${scenario.name}-${mode}`);
  const t0 = performance.now();
  const outcome = await runScenarioFile(scenario, {
    mode,
    seed,
    out,
    progress: (line) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`),
  });
  console.log(`Report: ${out}/report.md (and report.json, SVG plots)`);
  if (!outcome.ok) {
    console.error(`brume scenario: ${outcome.failed.length} invariant(s) FAILED:\n  ${outcome.failed.join('\n  ')}`);
    return 1;
  }
  console.log(`All invariants hold (${scenario.name}, ${mode}, seed ${seed}).`);
  return 0;
}
