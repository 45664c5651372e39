import { DEFAULT_FILTERS, type HostFilter } from './filters.ts';
import type { CandidateHost, ScheduleOptions, ScheduleRequest, ScheduleResult } from './types.ts';
import { weigh } from './weighers.ts';

/**
 * Chooses a host for one request (Nova's FilterScheduler, minus the RPC): ignore/force hosts, run the filters, weigh
 * the survivors. Pure and deterministic: the same snapshot and request always give the same answer. On failure the
 * reasons read like Nova's logs ("Filter RamFilter returned 0 hosts") followed by each host's rejection.
 */
export function schedule(
  req: ScheduleRequest,
  hosts: readonly CandidateHost[],
  options: ScheduleOptions,
  filters: readonly HostFilter[] = DEFAULT_FILTERS,
): ScheduleResult {
  if (hosts.length === 0) return { error: 'no_valid_host', reasons: ['No hosts are known to this site.'] };
  let candidates = [...hosts];
  const reasons: string[] = [];
  if (req.ignoreHosts && req.ignoreHosts.length > 0) {
    const ignore = new Set(req.ignoreHosts);
    candidates = candidates.filter((h) => !ignore.has(h.id));
    if (candidates.length === 0) {
      return { error: 'no_valid_host', reasons: [`Host filter ignoring hosts: ${[...ignore].sort().join(', ')}`] };
    }
  }
  if (req.forceHost) {
    const forced = req.forceHost;
    candidates = candidates.filter((h) => h.id === forced);
    if (candidates.length === 0) {
      return {
        error: 'no_valid_host',
        reasons: [`No hosts matched due to not matching 'force_hosts' value of '${forced}'`],
      };
    }
  }

  const results: string[] = [];
  const rejected: string[] = [];
  for (const f of filters) {
    const start = candidates.length;
    candidates = candidates.filter((h) => {
      const why = f.reject(h, req, options);
      if (why !== null) rejected.push(`${h.id}: ${f.name}: ${why}`);
      return why === null;
    });
    results.push(`${f.name}: (start: ${start}, end: ${candidates.length})`);
    if (candidates.length === 0) {
      reasons.push(`Filter ${f.name} returned 0 hosts`, `Filter results: ['${results.join("', '")}']`, ...rejected);
      return { error: 'no_valid_host', reasons };
    }
  }
  const weighed = weigh(candidates, req, options);
  const best = weighed[0];
  if (!best) return { error: 'no_valid_host', reasons: ['No host left after weighing.'] };
  return { host: best.host, weighed };
}
