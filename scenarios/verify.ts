/**
 * What every replica holds, read through the public API: acknowledged writes missing anywhere (lost writes while
 * the run lasts, not yet propagated while it converges), the conflict ledger per site, servers by status.
 */
import type { AckedWrite, Recorder } from './recorder.ts';
import type { Scenario } from './schema.ts';
import type { Setup } from './setup.ts';
import type { World } from './world.ts';

/** A write not found where it should be. */
export interface Missing {
  write: AckedWrite;
  at: string;
}

/** The state of the federation at one moment. */
export interface FinalState {
  missing: Missing[];
  conflictCountsAgree: boolean;
  conflicts: {
    total: number;
    byKind: Record<string, number>;
    /** Entries an admin resolved (`resolution` set through /federation/v1), as the first live site shows them. */
    resolved: number;
    perSite: Record<string, number>;
    examples: unknown[];
  };
  servers: Record<string, number>;
  liveSites: number;
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const ids = (v: unknown, key: string): Set<string> =>
  new Set(((obj(v)[key] as { id: string }[] | undefined) ?? []).map((x) => x.id));

/** Reads the state; `light` skips per-server reads (convergence polls). */
export async function collectState(
  world: World,
  s: Scenario,
  setup: Setup,
  rec: Recorder,
  opts: { light: boolean },
): Promise<FinalState> {
  const live = s.sites.map((x) => x.name).filter((n) => world.isUp(n));
  const missing: Missing[] = [];
  const perSite: Record<string, number> = {};
  let byKind: Record<string, number> = {};
  let examples: unknown[] = [];
  let resolved = 0;
  const users = rec.writes.filter((w) => w.kind === 'user');
  const images = rec.writes.filter((w) => w.kind === 'image');
  for (const site of live) {
    const token = setup.adminToken.get(site);
    if (users.length > 0) {
      const r = await world.request(site, { path: '/v3/users', token });
      const have = ids(r.body, 'users');
      for (const w of users) if (!have.has(w.id)) missing.push({ write: w, at: site });
    }
    if (images.length > 0) {
      const r = await world.request(site, { path: '/image/v2/images?limit=100000', token });
      const have = ids(r.body, 'images');
      for (const w of images) if (!have.has(w.id)) missing.push({ write: w, at: site });
    }
    const c = await world.request(site, { path: '/federation/v1/conflicts', token });
    const list = (obj(c.body).conflicts as { kind?: string; resolution?: unknown }[] | undefined) ?? [];
    perSite[site] = list.length;
    if (site === live[0]) {
      byKind = {};
      for (const e of list) byKind[e.kind ?? 'unknown'] = (byKind[e.kind ?? 'unknown'] ?? 0) + 1;
      examples = list.slice(0, 3);
      resolved = list.filter((e) => e.resolution !== undefined && e.resolution !== null).length;
    }
  }
  const servers: Record<string, number> = {};
  if (!opts.light) {
    for (const w of rec.writes.filter((x) => x.kind === 'server')) {
      if (!world.isUp(w.site)) continue;
      const r = await world.request(w.site, {
        path: `/compute/v2.1/servers/${w.id}`,
        token: setup.projectToken.get(w.site),
      });
      const status = r.status === 200 ? String(obj(obj(r.body).server).status) : `HTTP ${r.status}`;
      servers[status] = (servers[status] ?? 0) + 1;
      if (r.status === 404) missing.push({ write: w, at: w.site });
    }
  }
  const counts = Object.values(perSite);
  return {
    missing,
    conflictCountsAgree: counts.every((n) => n === counts[0]),
    conflicts: { total: counts[0] ?? 0, byKind, resolved, perSite, examples },
    servers,
    liveSites: live.length,
  };
}
