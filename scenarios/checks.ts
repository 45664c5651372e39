/** The scenario's checks, evaluated on what the run recorded. `lost_writes: 0` is always checked. */
import { type Recorder, summarize } from './recorder.ts';
import type { Scenario } from './schema.ts';
import type { FinalState } from './verify.ts';

/** One checked property of the run (report.json's top-level `invariants`). */
export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

const pct = (x: number) => `${(Math.round(x * 10_000) / 100).toString()}%`;

function availability(rec: Recorder, site: string, partitionedOnly: boolean): number | null {
  const ops = rec.ops.filter((o) => o.site === site && (!partitionedOnly || o.partitioned));
  return ops.length === 0 ? null : ops.filter((o) => o.ok).length / ops.length;
}

function lostWrites(final: FinalState, acked: number): Invariant {
  const m = final.missing;
  const shown = m
    .slice(0, 3)
    .map((x) => `${x.write.kind} ${x.write.id} (acknowledged by ${x.write.site}) missing at ${x.at}`);
  return {
    name: 'lost_writes',
    ok: m.length === 0,
    detail:
      m.length === 0
        ? `all ${acked} acknowledged writes are present on every live replica`
        : `${m.length} (write, replica) pairs missing: ${shown.join('; ')}`,
  };
}

/** Evaluates every declared check, plus lost writes. */
export function evaluateChecks(s: Scenario, rec: Recorder, final: FinalState): Invariant[] {
  const out: Invariant[] = [];
  const sites = s.sites.map((x) => x.name);
  let lostChecked = false;
  for (const c of s.check) {
    if ('converged_within' in c) {
      const limit = c.converged_within;
      const bad = rec.heals.filter((h) => h.convergedAfterMs === null || h.convergedAfterMs > limit);
      const times = rec.heals.map((h) => (h.convergedAfterMs === null ? 'never' : `${h.convergedAfterMs} ms`));
      out.push({
        name: 'converged_within',
        ok: bad.length === 0,
        detail:
          rec.heals.length === 0
            ? 'no heal or restart in the timeline'
            : `after each heal/restart: ${times.join(', ')} (limit ${limit} ms)`,
      });
    } else if ('lost_writes' in c) {
      out.push(lostWrites(final, rec.writes.length));
      lostChecked = true;
    } else if ('quota_never_exceeded' in c) {
      const worst = rec.quotaSamples.reduce((m, q) => (q.used - q.limit > m.used - m.limit ? q : m), {
        t: 0,
        used: 0,
        limit: s.quota?.instances ?? 0,
      });
      const over = rec.quotaSamples.filter((q) => q.used > q.limit);
      out.push({
        name: 'quota_never_exceeded',
        ok: s.quota !== undefined && over.length === 0,
        detail:
          s.quota === undefined
            ? 'the scenario declares no quota'
            : over.length === 0
              ? `peak usage ${worst.used} of ${worst.limit} instances across all sites (${rec.quotaSamples.length} samples)`
              : `usage ${worst.used} > limit ${worst.limit} at t=${worst.t / 1000}s (${over.length} samples over the limit)`,
      });
    } else if ('local_availability_during_partition' in c || 'availability' in c) {
      const during = 'local_availability_during_partition' in c;
      const want = during ? c.local_availability_during_partition : c.availability;
      const per = sites.map((site) => ({ site, a: availability(rec, site, during) }));
      const known = per.filter((p): p is { site: string; a: number } => p.a !== null);
      const worst = known.reduce<{ site: string; a: number } | undefined>(
        (m, p) => (!m || p.a < m.a ? p : m),
        undefined,
      );
      out.push({
        name: during ? 'local_availability_during_partition' : 'availability',
        ok: worst !== undefined && worst.a >= want,
        detail: worst
          ? `lowest: ${worst.site} ${pct(worst.a)} over ${known.length} site(s) (want ≥ ${pct(want)})`
          : during
            ? 'no operation ran while partitioned'
            : 'no operation ran',
      });
    } else if ('conflicts_recorded' in c) {
      out.push({
        name: 'conflicts_recorded',
        ok: final.conflicts.total >= c.conflicts_recorded && final.conflictCountsAgree,
        detail: `${final.conflicts.total} ledger entries (${JSON.stringify(final.conflicts.byKind)}); every site shows the same count: ${final.conflictCountsAgree} (want ≥ ${c.conflicts_recorded})`,
      });
    } else if ('max_latency' in c) {
      const lat = rec.ops.filter((o) => o.op === c.max_latency.op && o.ok).map((o) => o.latencyMs);
      const p99 = summarize(lat).p99;
      out.push({
        name: `max_latency ${c.max_latency.op}`,
        ok: lat.length > 0 && p99 <= c.max_latency.p99,
        detail: `p99 ${p99} ms over ${lat.length} operations (limit ${c.max_latency.p99} ms)`,
      });
    } else if ('servers_survive_agent_crash' in c) {
      const total = Object.values(final.servers).reduce((a, b) => a + b, 0);
      const active = final.servers.ACTIVE ?? 0;
      out.push({
        name: 'servers_survive_agent_crash',
        ok: total > 0 && active === total,
        detail: `${active} of ${total} servers ACTIVE at the end (${JSON.stringify(final.servers)})`,
      });
    }
  }
  if (!lostChecked) out.push(lostWrites(final, rec.writes.length));
  return out;
}
