import { jsonOf } from './proxy.ts';
import type { SiteEntry } from './sites.ts';
import type { GlobalState } from './state.ts';

/** Free capacity of a site from Nova's hypervisor statistics, or null when it could not be read. */
interface Capacity {
  site: SiteEntry;
  region: string;
  freeRamMb: number;
  freeVcpus: number;
}

/**
 * Places a create that names no region: among reachable sites (those of the caller's preferred region `near` first,
 * when that region has room), the one with the most free RAM then vCPUs (`/os-hypervisors/statistics`, read with
 * the caller's token, bounded by the fan-out timeout). When no statistics can be read (a token without admin
 * rights), the first reachable region in name order. Undefined when no site is reachable.
 */
export async function place(
  state: GlobalState,
  token: string,
  near: string | undefined,
): Promise<{ site: SiteEntry; region: string; basis: string } | undefined> {
  const candidates = state.sites
    .all()
    .filter((s) => s.region !== undefined || s.id !== undefined)
    .filter((s) => state.deps.config.allRegion !== state.sites.regionOf(s) && state.health.healthy(s.url));
  if (candidates.length === 0) return undefined;
  const headers = new Headers({ 'X-Auth-Token': token, Accept: 'application/json' });
  const caps = await Promise.all(
    candidates.map(async (site): Promise<Capacity | null> => {
      try {
        const res = await state.send(
          site.url,
          '/compute/v2.1/os-hypervisors/statistics',
          { method: 'GET', headers, body: null },
          state.deps.config.fanOutTimeoutMs,
        );
        const body = (await jsonOf(res)) as { hypervisor_statistics?: Record<string, number> } | undefined;
        const s = body?.hypervisor_statistics;
        if (!res.ok || !s) return null;
        return {
          site,
          region: state.sites.regionOf(site),
          freeRamMb: (s.memory_mb ?? 0) - (s.memory_mb_used ?? 0),
          freeVcpus: (s.vcpus ?? 0) - (s.vcpus_used ?? 0),
        };
      } catch {
        return null;
      }
    }),
  );
  const known = caps.filter((c): c is Capacity => c !== null && c.freeVcpus > 0 && c.freeRamMb > 0);
  if (known.length === 0) {
    const sorted = [...candidates].sort((a, b) => (state.sites.regionOf(a) < state.sites.regionOf(b) ? -1 : 1));
    const pick = sorted.find((s) => state.sites.regionOf(s) === near) ?? sorted[0];
    return pick ? { site: pick, region: state.sites.regionOf(pick), basis: 'first-reachable' } : undefined;
  }
  const local = known.filter((c) => c.region === near);
  const pool = local.length > 0 ? local : known;
  pool.sort((a, b) => b.freeRamMb - a.freeRamMb || b.freeVcpus - a.freeVcpus || (a.region < b.region ? -1 : 1));
  const best = pool[0];
  return best
    ? { site: best.site, region: best.region, basis: local.length > 0 ? 'near+capacity' : 'capacity' }
    : undefined;
}
