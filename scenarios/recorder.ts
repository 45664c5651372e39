/**
 * Records what happened during a run (operations, faults, samples) and turns it into the report's metrics. Every
 * figure derives from timeline times, so a sim run's metrics repeat bit for bit.
 */

/** One API operation as a client saw it. */
export interface OpRecord {
  t: number;
  site: string;
  op: string;
  ok: boolean;
  latencyMs: number;
  /** True when the site was cut off from at least one other site at the time. */
  partitioned: boolean;
}

/** A fault or phase on the timeline (plot markers). */
export interface Marker {
  t: number;
  label: string;
}

/** A write a site acknowledged: it must be present everywhere after the heal. */
export interface AckedWrite {
  kind: 'user' | 'server' | 'image';
  id: string;
  site: string;
  t: number;
}

/** Bucket upper bounds (ms) of the latency histograms; the last bucket is open. */
export const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000];

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Summary statistics of a set of latencies. */
export function summarize(values: number[]): {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
} {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length === 0 ? 0 : s.reduce((a, b) => a + b, 0) / s.length;
  return {
    count: s.length,
    p50: r3(quantile(s, 0.5)),
    p90: r3(quantile(s, 0.9)),
    p99: r3(quantile(s, 0.99)),
    max: r3(s[s.length - 1] ?? 0),
    mean: r3(mean),
  };
}

/** Counts per bucket of {@link BUCKETS_MS} (plus the open one). */
export function histogram(values: number[]): number[] {
  const counts = new Array<number>(BUCKETS_MS.length + 1).fill(0);
  for (const v of values) {
    let i = BUCKETS_MS.findIndex((b) => v <= b);
    if (i < 0) i = BUCKETS_MS.length;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/** The run's journal. */
export class Recorder {
  readonly ops: OpRecord[] = [];
  readonly markers: Marker[] = [];
  readonly writes: AckedWrite[] = [];
  readonly quotaSamples: { t: number; used: number; limit: number }[] = [];
  readonly heals: { t: number; convergedAfterMs: number | null }[] = [];
  readonly notes: string[] = [];

  op(rec: OpRecord): void {
    this.ops.push({ ...rec, latencyMs: r3(rec.latencyMs) });
  }
  mark(t: number, label: string): void {
    this.markers.push({ t, label });
  }
  write(w: AckedWrite): void {
    this.writes.push(w);
  }

  /** Per-operation summaries, histograms and time windows of `windowMs`. */
  latency(windowMs: number, durationMs: number) {
    const byOp = new Map<string, OpRecord[]>();
    for (const o of this.ops) byOp.set(o.op, [...(byOp.get(o.op) ?? []), o]);
    const out: Record<string, unknown> = {};
    for (const op of [...byOp.keys()].sort()) {
      const recs = byOp.get(op) ?? [];
      const okLat = recs.filter((r) => r.ok).map((r) => r.latencyMs);
      const windows = [];
      for (let w = 0; w * windowMs < durationMs; w++) {
        const inW = recs.filter((r) => r.t >= w * windowMs && r.t < (w + 1) * windowMs);
        const s = summarize(inW.filter((r) => r.ok).map((r) => r.latencyMs));
        windows.push({
          t: w * windowMs,
          count: inW.length,
          errors: inW.filter((r) => !r.ok).length,
          p50: s.p50,
          p99: s.p99,
        });
      }
      out[op] = {
        ...summarize(okLat),
        errors: recs.length - okLat.length,
        histogram: { buckets_ms: BUCKETS_MS, counts: histogram(okLat) },
        windows,
      };
    }
    return out;
  }

  /** Availability (share of operations that succeeded) per site: overall, while partitioned, and per window. */
  availability(sites: string[], windowMs: number, durationMs: number) {
    const per: Record<string, unknown> = {};
    for (const site of sites) {
      const recs = this.ops.filter((o) => o.site === site);
      const part = recs.filter((o) => o.partitioned);
      const ratio = (rs: OpRecord[]) => (rs.length === 0 ? null : r3(rs.filter((r) => r.ok).length / rs.length));
      const windows: (number | null)[] = [];
      for (let w = 0; w * windowMs < durationMs; w++) {
        windows.push(ratio(recs.filter((r) => r.t >= w * windowMs && r.t < (w + 1) * windowMs)));
      }
      per[site] = { ops: recs.length, overall: ratio(recs), during_partition: ratio(part), windows };
    }
    return per;
  }
}
