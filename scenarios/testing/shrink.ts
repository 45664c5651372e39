/** Smoke-sized copies of scenarios for tests: fewer sites and hosts, a shorter timeline, the same shape. */
import type { Scenario } from '../schema.ts';

/** Options of {@link shrink}. */
export interface ShrinkOptions {
  /** Keep the first N sites (references to the others are dropped). */
  maxSites?: number;
  /** Keep exactly these sites (instead of the first N). */
  sites?: string[];
  /** Hosts per site at most. */
  maxHosts?: number;
  /** Multiplies every time of the timeline (0.2: five times shorter). */
  timeScale?: number;
  /** Sweep values kept (first ones). */
  sweepRtt?: number[];
  sweepSites?: number[];
}

/** A smaller copy of `s` (rates are kept, so a shorter timeline means fewer operations). */
export function shrink(s: Scenario, o: ShrinkOptions = {}): Scenario {
  const f = o.timeScale ?? 1;
  const chosen = o.sites
    ? s.sites.filter((x) => o.sites?.includes(x.name))
    : s.sites.slice(0, o.maxSites ?? s.sites.length);
  const sites = chosen.map((x) => ({ ...x, hosts: Math.min(x.hosts, o.maxHosts ?? x.hosts) }));
  const kept = new Set(sites.map((x) => x.name));
  const keep = (l: string[]) => l.filter((n) => kept.has(n));
  const t = (ms: number) => Math.round(ms * f);
  const faults = s.faults
    .map((x) => ({
      ...x,
      at: t(x.at),
      ...(x.restart_after === undefined ? {} : { restart_after: t(x.restart_after) }),
      ...(x.partition ? { partition: x.partition.map(keep).filter((g) => g.length > 0) } : {}),
    }))
    .filter((x) => {
      if (x.partition) return x.partition.length > 1;
      if (x.kill) return kept.has(x.kill);
      if (x.clock_skew) return kept.has(x.clock_skew.site);
      if (x.kill_agent)
        return (
          kept.has(x.kill_agent.site) &&
          x.kill_agent.host <= (sites.find((y) => y.name === x.kill_agent?.site)?.hosts ?? 0)
        );
      return true;
    });
  return {
    ...s,
    sites,
    links: { ...s.links, between: s.links.between.map((b) => ({ ...b, a: keep(b.a), b: keep(b.b) })) },
    // At least two operations per site and workload, whatever the scale.
    workload: s.workload
      .map((w) => ({
        ...w,
        at: t(w.at),
        for: t(w.for),
        sites: keep(w.sites),
        rate: Math.max(w.rate, 2000 / Math.max(1, t(w.for))),
      }))
      .filter((w) => w.sites.length > 0),
    faults,
    check: s.check.map((c) =>
      'converged_within' in c ? { converged_within: Math.max(c.converged_within, 10_000) } : c,
    ),
    durationMs: t(s.durationMs),
    ...(s.sweep ? { sweep: { rtt: o.sweepRtt ?? s.sweep.rtt, sites: o.sweepSites ?? s.sweep.sites } } : {}),
  };
}
