/**
 * report.json: top-level `invariants` and `metrics`, plus the scenario and what was real at this fidelity level.
 * Only timeline-derived figures go in (no wall clock), so two sim runs with one seed give the same bytes.
 */
import { summarize } from '../recorder.ts';
import type { RunResult } from '../run.ts';

/** The JSON report of one run (one variant of a sweep). */
export interface RunReport {
  name: string;
  label: string;
  mode: string;
  seed: number;
  deterministic: boolean;
  fidelity: string[];
  invariants: { name: string; ok: boolean; detail: string }[];
  metrics: Record<string, unknown>;
  timeline: { markers: { t: number; label: string }[]; duration_ms: number; window_ms: number };
}

/** The window of the time series: about 20 windows per run, at least one second. */
export function windowOf(durationMs: number): number {
  return Math.max(1000, Math.round(durationMs / 20 / 1000) * 1000);
}

/** Builds the report of one run. */
export function runReport(r: RunResult, seed: number, label: string): RunReport {
  const s = r.scenario;
  const win = windowOf(s.durationMs);
  const names = s.sites.map((x) => x.name);
  const measure = new Set(s.measure);
  const metrics: Record<string, unknown> = {};
  if (measure.has('api_latency')) metrics.api_latency = r.rec.latency(win, s.durationMs);
  if (measure.has('availability')) metrics.availability = r.rec.availability(names, win, s.durationMs);
  if (measure.has('convergence')) {
    metrics.convergence = {
      after_heal: r.rec.heals.map((h) => ({ heal_at_ms: h.t, converged_after_ms: h.convergedAfterMs })),
      propagation_ms: summarize(
        r.rec.ops
          .filter((o) => o.ok && (o.op.endsWith('.remote') || o.op === 'image.visible.remote'))
          .map((o) => o.latencyMs),
      ),
    };
  }
  if (measure.has('conflicts')) {
    metrics.conflicts = {
      before_timeline: r.conflictsBefore,
      total: r.final.conflicts.total,
      during_run: r.final.conflicts.total - r.conflictsBefore,
      by_kind: r.final.conflicts.byKind,
      resolved: r.final.conflicts.resolved,
      per_site: r.final.conflicts.perSite,
      same_at_every_site: r.final.conflictCountsAgree,
      examples: r.final.conflicts.examples,
    };
  }
  if (measure.has('quota') && s.quota) {
    metrics.quota = {
      project: s.quota.project,
      limit: s.quota.instances,
      source: r.federatedQuota ? '/federation/v1/quotas (escrow)' : 'per-site Nova quota (no federation escrow API)',
      peak_used: Math.max(0, ...r.rec.quotaSamples.map((q) => q.used)),
      samples: r.rec.quotaSamples,
    };
  }
  if (measure.has('lost_writes')) {
    const byKind: Record<string, number> = {};
    for (const w of r.rec.writes) byKind[w.kind] = (byKind[w.kind] ?? 0) + 1;
    metrics.lost_writes = {
      acknowledged: r.rec.writes.length,
      by_kind: byKind,
      missing: r.final.missing.length,
      examples: r.final.missing.slice(0, 5).map((m) => ({ ...m.write, missing_at: m.at })),
    };
  }
  // Bytes go to resources.json: their exact count varies by a few bytes between runs of one seed (when an
  // Automerge sync message is generated relative to a write's persistence follows the thread pool).
  if (measure.has('replication_bytes'))
    metrics.replication = { messages: r.traffic.messages, dropped: r.traffic.dropped };
  if (measure.has('resources')) {
    metrics.resources = {
      operations: r.rec.ops.length,
      live_sites_at_end: r.final.liveSites,
      servers_by_status: r.final.servers,
      note: 'wall-clock time, CPU and memory of the run are in resources.json (they differ between runs)',
    };
  }
  return {
    name: s.name,
    label,
    mode: r.world.mode,
    seed,
    deterministic: r.world.deterministic,
    fidelity: r.world.fidelity,
    invariants: r.invariants,
    metrics,
    timeline: { markers: r.rec.markers, duration_ms: s.durationMs, window_ms: win },
  };
}
