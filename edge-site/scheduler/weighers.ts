import type { CandidateHost, ScheduleOptions, ScheduleRequest, WeighedHost } from './types.ts';

/** A weigher gives each host a raw score; scores are normalized to 0..1 across hosts and multiplied (Nova). */
interface Weigher {
  multiplier(req: ScheduleRequest, opts: ScheduleOptions): number;
  raw(host: CandidateHost, req: ScheduleRequest): number;
}

/** Free physical RAM: spread prefers more (multiplier 1), pack less (-1). */
const ramWeigher: Weigher = {
  multiplier: (_r, o) => (o.ramWeigher === 'pack' ? -1 : 1),
  raw: (h) => h.capacity.memoryMiB - h.used.memoryMiB,
};

/** Soft (anti-)affinity: members of the group already on the host; soft-affinity likes them, soft-anti dislikes. */
const softGroupWeigher: Weigher = {
  multiplier(req) {
    if (req.group?.policy === 'soft-affinity') return 1;
    if (req.group?.policy === 'soft-anti-affinity') return -1;
    return 0;
  },
  raw: (h, req) => (req.group?.memberHosts ?? []).filter((m) => m === h.id).length,
};

const WEIGHERS: readonly Weigher[] = [ramWeigher, softGroupWeigher];

function normalize(values: number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return values.map(() => 0);
  return values.map((v) => (v - min) / (max - min));
}

/** Weighs hosts, best first; equal weights are ordered by host id so the choice is deterministic. */
export function weigh(hosts: readonly CandidateHost[], req: ScheduleRequest, opts: ScheduleOptions): WeighedHost[] {
  const totals = hosts.map(() => 0);
  for (const w of WEIGHERS) {
    const m = w.multiplier(req, opts);
    if (m === 0) continue;
    normalize(hosts.map((h) => w.raw(h, req))).forEach((v, i) => {
      totals[i] = (totals[i] ?? 0) + m * v;
    });
  }
  return hosts
    .map((h, i) => ({ host: h.id, weight: totals[i] ?? 0 }))
    .sort((a, b) => b.weight - a.weight || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
