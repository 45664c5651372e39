/** Writes a run's (or a sweep's) report.json, report.md, resources.json and SVG plots under the output folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../run.ts';
import { type RunReport, runReport } from './json.ts';
import { markdownReport } from './markdown.ts';
import { barChart, heatmap, lineChart } from './svg.ts';

/** The whole report: one run, or a sweep of runs with a summary table. */
export interface Report extends Omit<RunReport, 'label' | 'timeline'> {
  timeline?: RunReport['timeline'];
  description?: string;
  runs?: RunReport[];
}

/** A row of a sweep's summary (figures of one variant). */
export interface SweepRow {
  label: string;
  sites: number;
  rtt_ms: number;
  [op: string]: number | string | null;
}

const p50 = (m: unknown, op: string): number | null => {
  const v = (m as Record<string, { p50?: number; count?: number }> | undefined)?.[op];
  return v && (v.count ?? 0) > 0 ? (v.p50 ?? null) : null;
};

/** Builds the report object of `runs` (several when the scenario is a sweep). */
export function buildReport(results: { r: RunResult; label: string; rttMs?: number }[], seed: number): Report {
  const reports = results.map(({ r, label }) => runReport(r, seed, label));
  const first = reports[0];
  const firstRun = results[0]?.r;
  if (!first || !firstRun) throw new Error('no run');
  if (results.length === 1) return { ...first, description: firstRun.scenario.description };
  const rows: SweepRow[] = results.map(({ r, label, rttMs }, i) => {
    const lat = reports[i]?.metrics.api_latency;
    return {
      label,
      sites: r.scenario.sites.length,
      rtt_ms: rttMs ?? 0,
      'identity.user.create': p50(lat, 'identity.user.create'),
      'identity.token.issue': p50(lat, 'identity.token.issue'),
      'identity.token.validate.local': p50(lat, 'identity.token.validate.local'),
      'identity.token.validate.remote': p50(lat, 'identity.token.validate.remote'),
    };
  });
  return {
    name: first.name,
    description: firstRun.scenario.description,
    mode: first.mode,
    seed,
    deterministic: reports.every((r) => r.deterministic),
    fidelity: first.fidelity,
    invariants: reports.flatMap((r) => r.invariants.map((v) => ({ ...v, name: `${v.name} [${r.label}]` }))),
    metrics: { sweep: rows },
    runs: reports,
  };
}

/** Plots of one run: latency over time with fault markers, availability per site, convergence, quota. */
function runPlots(r: RunReport, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const markers = r.timeline.markers.map((m) => ({ x: m.t / 1000, label: m.label }));
  const lat = (r.metrics.api_latency ?? {}) as Record<string, { windows: { t: number; p99: number; count: number }[] }>;
  const series = Object.entries(lat).map(([op, v]) => ({
    name: op,
    points: v.windows.filter((w) => w.count > 0).map((w) => [w.t / 1000, w.p99] as [number, number]),
  }));
  out[`${prefix}latency.svg`] = lineChart({
    title: `${r.name}: p99 latency per ${r.timeline.window_ms / 1000} s window (${r.mode})`,
    xLabel: 'time (s)',
    yLabel: 'ms (log)',
    series,
    markers,
    xMax: r.timeline.duration_ms / 1000,
    logY: true,
  });
  const avail = (r.metrics.availability ?? {}) as Record<string, { windows: (number | null)[] }>;
  out[`${prefix}availability.svg`] = heatmap({
    title: `${r.name}: availability per site (${r.mode})`,
    rows: Object.entries(avail).map(([name, v]) => ({ name, values: v.windows })),
    windowMs: r.timeline.window_ms,
    markers: r.timeline.markers.map((m) => ({ x: m.t, label: m.label })),
  });
  const conv = (r.metrics.convergence as { after_heal?: { heal_at_ms: number; converged_after_ms: number | null }[] })
    ?.after_heal;
  if (conv && conv.length > 0) {
    out[`${prefix}convergence.svg`] = barChart({
      title: `${r.name}: time to converge after each heal/restart (${r.mode})`,
      unit: 'ms',
      bars: conv.map((c) => ({ name: `t=${c.heal_at_ms / 1000}s`, value: c.converged_after_ms })),
    });
  }
  const quota = r.metrics.quota as { samples: { t: number; used: number; limit: number }[] } | undefined;
  if (quota) {
    out[`${prefix}quota.svg`] = lineChart({
      title: `${r.name}: instances in use vs quota, all sites (${r.mode})`,
      xLabel: 'time (s)',
      yLabel: 'instances',
      series: [
        { name: 'used', points: quota.samples.map((q) => [q.t / 1000, q.used]) },
        { name: 'limit', points: quota.samples.map((q) => [q.t / 1000, q.limit]) },
      ],
      markers,
      xMax: r.timeline.duration_ms / 1000,
    });
  }
  return out;
}

/** Plots of a sweep: latency (p50) against RTT, one line per (operation, site count). */
function sweepPlots(report: Report): Record<string, string> {
  const rows = (report.metrics.sweep ?? []) as SweepRow[];
  const counts = [...new Set(rows.map((r) => r.sites))];
  const series = [];
  for (const op of ['identity.token.issue', 'identity.token.validate.local', 'identity.token.validate.remote']) {
    for (const c of counts) {
      const pts = rows
        .filter((r) => r.sites === c && typeof r[op] === 'number')
        .map((r) => [r.rtt_ms, r[op] as number] as [number, number]);
      series.push({ name: `${op.replace('identity.token.', '')} ${c} sites`, points: pts });
    }
  }
  return {
    'sweep-latency.svg': lineChart({
      title: `${report.name}: p50 latency vs RTT (${report.mode})`,
      xLabel: 'RTT between sites (ms)',
      yLabel: 'ms (log)',
      series,
      logY: true,
    }),
  };
}

/** Writes every file of the report; returns the paths written. */
export function writeReport(dir: string, report: Report, resources: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'resources.json': `${JSON.stringify(resources, null, 2)}\n`,
  };
  const plots: Record<string, string> = report.runs
    ? { ...sweepPlots(report), ...runPlots(report.runs[report.runs.length - 1] as RunReport, 'last-run-') }
    : runPlots(report as RunReport, '');
  Object.assign(files, plots);
  files['report.md'] = markdownReport(report, Object.keys(plots), resources);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.keys(files).map((f) => join(dir, f));
}
