/**
 * One runner for every fidelity level: builds the world, sets up through the API, plays the workload and the fault
 * timeline, watches convergence after each heal, then verifies acknowledged writes everywhere and evaluates the
 * checks. Everything it records is in timeline time (virtual in sim), so a sim report repeats bit for bit.
 */
import { evaluateChecks, type Invariant } from './checks.ts';
import { Recorder } from './recorder.ts';
import type { Scenario } from './schema.ts';
import { setupScenario } from './setup.ts';
import { collectState, type FinalState } from './verify.ts';
import { runOp, type WorkloadContext } from './workloads.ts';
import type { World, WorldFactory } from './world.ts';

/** The outcome of one scenario run (one variant of a sweep). */
export interface RunResult {
  scenario: Scenario;
  world: Pick<World, 'mode' | 'deterministic' | 'fidelity'>;
  rec: Recorder;
  final: FinalState;
  invariants: Invariant[];
  traffic: ReturnType<World['traffic']>;
  federatedQuota: boolean;
  /** Conflict ledger entries already there when the timeline started (e.g. sites that bootstrapped concurrently). */
  conflictsBefore: number;
  /** Wall-clock resource usage (never in report.json: it differs between runs). */
  resources: { wallMs: number; cpuUserMs: number; cpuSystemMs: number; maxRssMiB: number; events?: number };
}

/** Options of {@link runScenario}. */
export interface RunOptions {
  seed: number;
  factory: WorldFactory;
  progress: (line: string) => void;
}

/** Runs `s` in the world `factory` builds; always closes the world. */
export async function runScenario(s: Scenario, opts: RunOptions): Promise<RunResult> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const world = await opts.factory(s, opts.seed, opts.progress);
  try {
    return await play(world, s, opts, wall0, cpu0);
  } finally {
    await world.close();
  }
}

/**
 * Waits (bounded) until no acknowledged server is still building: agents answer over a real MQTT broker, so in
 * sim their replies follow the wall clock while virtual time may already be past the end of the timeline.
 */
async function settleBoots(
  world: World,
  rec: Recorder,
  tokens: Map<string, string>,
  advance: (ms: number) => Promise<void>,
): Promise<void> {
  const servers = rec.writes.filter((w) => w.kind === 'server');
  for (let i = 0; i < 120 && servers.length > 0; i++) {
    let building = 0;
    for (const w of servers) {
      if (!world.isUp(w.site)) continue;
      const r = await world.request(w.site, { path: `/compute/v2.1/servers/${w.id}`, token: tokens.get(w.site) });
      const status = (r.body as { server?: { status?: string } } | null)?.server?.status;
      if (status === 'BUILD') building++;
    }
    if (building === 0) return;
    await advance(500);
    await new Promise<void>((r) => setTimeout(r, 100));
  }
}

async function play(
  world: World,
  s: Scenario,
  opts: RunOptions,
  wall0: number,
  cpu0: NodeJS.CpuUsage,
): Promise<RunResult> {
  const rec = new Recorder();
  const advance = (ms: number) => world.runUntil(world.now() + ms);
  opts.progress(`${world.mode}: setting up through the API`);
  const setup = await setupScenario(world, s, advance);
  const baseline = await collectState(world, s, setup, rec, { light: true });
  const base = world.now();
  const at = (t: number, fn: () => void) => world.at(base + t, fn);
  const now = () => world.now() - base;

  const names = s.sites.map((x) => x.name);
  let groups: string[][] | undefined;
  const groupOf = (site: string) => groups?.find((g) => g.includes(site)) ?? (groups ? [site] : names);
  const ctx: WorkloadContext = {
    // The operations see timeline time (0 = end of setup).
    world: { ...world, now },
    rec,
    adminToken: setup.adminToken,
    projectToken: setup.projectToken,
    flavorId: setup.flavorId,
    imageId: setup.imageId,
    reachable: groupOf,
    partitioned: (site) => groups !== undefined && groupOf(site).length < names.length,
    remoteTimeoutMs: 30_000,
    retryMs: world.mode === 'sim' ? 10 : 20,
  };

  const inflight = new Set<Promise<void>>();
  const start = (p: Promise<void>) => {
    const q = p.catch((err: unknown) => {
      rec.notes.push(`operation failed: ${String(err)}`);
    });
    inflight.add(q);
    void q.finally(() => inflight.delete(q));
  };

  // Workload: op k of workload w at site i happens at w.at + (k + i / n) / rate.
  for (const w of s.workload) {
    if (w.rate <= 0) continue;
    const count = Math.floor((w.for / 1000) * w.rate);
    for (const [i, site] of w.sites.entries()) {
      for (let k = 0; k < count; k++) {
        const t = w.at + ((k + i / w.sites.length) * 1000) / w.rate;
        at(Math.round(t), () => {
          if (world.isUp(site)) start(runOp(ctx, w, site, k));
        });
      }
    }
  }

  // Convergence after a heal or restart: every acknowledged write visible at every live site.
  const watchConvergence = (healT: number) => {
    const entry = { t: healT, convergedAfterMs: null as number | null };
    rec.heals.push(entry);
    const period = Math.max(50, Math.min(250, s.federation.sync_interval / 4));
    const poll = async (): Promise<void> => {
      const state = await collectState(world, s, setup, rec, { light: true });
      // Writes only: whether every site's ledger shows the same entries is reported apart (conflicts metric,
      // conflicts_recorded), since a ledger that diverged before the timeline must not hide the writes' timing.
      if (state.missing.length === 0) {
        entry.convergedAfterMs = Math.round(now() - healT);
        return;
      }
      if (now() - healT > 120_000) return;
      await world.sleep(period);
      return poll();
    };
    start(poll());
  };

  for (const f of s.faults) {
    at(f.at, () => {
      start(
        (async () => {
          if (f.partition) {
            groups = f.partition.map((g) => [...g]);
            rec.mark(f.at, `partition ${f.label ?? f.partition.map((g) => g.join('+')).join(' | ')}`);
            await world.partition(groups);
          } else if (f.heal) {
            groups = undefined;
            rec.mark(f.at, 'heal');
            await world.heal();
            watchConvergence(f.at);
          } else if (f.kill) {
            rec.mark(f.at, `kill ${f.kill}`);
            await world.killSite(f.kill);
            if (f.restart_after !== undefined) {
              const site = f.kill;
              at(f.at + f.restart_after, () => {
                rec.mark(f.at + (f.restart_after ?? 0), `restart ${site}`);
                start(world.restartSite(site).then(() => watchConvergence(now())));
              });
            }
          } else if (f.kill_agent) {
            const { site, host } = f.kill_agent;
            rec.mark(f.at, `kill agent ${site}/${host}`);
            await world.killAgent(site, host);
            if (f.restart_after !== undefined) {
              at(f.at + f.restart_after, () => {
                rec.mark(f.at + (f.restart_after ?? 0), `restart agent ${site}/${host}`);
                start(world.restartAgent(site, host));
              });
            }
          } else if (f.latency) {
            const a = f.latency.a === undefined || f.latency.a === 'all' ? names : f.latency.a;
            const b = f.latency.b === undefined || f.latency.b === 'all' ? names : f.latency.b;
            rec.mark(f.at, `latency ${f.latency.latency ?? 0} ms`);
            await world.setLink(a, b, f.latency);
          } else if (f.clock_skew && f.skewMs !== undefined) {
            rec.mark(f.at, `skew ${f.clock_skew.site} ${f.skewMs} ms`);
            await world.skewClock(f.clock_skew.site, f.skewMs);
          }
        })(),
      );
    });
  }

  // Quota usage, sampled every second when a quota is declared.
  if (s.quota && setup.projectId) {
    for (let t = 0; t <= s.durationMs; t += 1000) {
      at(t, () => {
        start(
          (async () => {
            let used = 0;
            for (const site of names) {
              if (!world.isUp(site)) continue;
              const r = await world.request(site, {
                path: '/compute/v2.1/servers',
                token: setup.projectToken.get(site),
              });
              const list = (r.body as { servers?: unknown[] } | null)?.servers;
              used += list?.length ?? 0;
            }
            rec.quotaSamples.push({ t, used, limit: s.quota?.instances ?? 0 });
          })(),
        );
      });
    }
  }

  // Progress: ten lines over the timeline.
  const step = Math.max(1000, Math.round(s.durationMs / 10 / 1000) * 1000);
  for (let t = step; t < s.durationMs; t += step) {
    at(t, () => {
      const errors = rec.ops.filter((o) => !o.ok).length;
      opts.progress(
        `${world.mode}: t=${(t / 1000).toFixed(0)}s/${(s.durationMs / 1000).toFixed(0)}s ops=${rec.ops.length} errors=${errors}`,
      );
    });
  }

  await world.runUntil(base + s.durationMs);
  // Let waiting operations and convergence watchers finish (bounded).
  for (let i = 0; i < 240 && inflight.size > 0; i++) await advance(500);
  await settleBoots(world, rec, setup.projectToken, advance);
  opts.progress(`${world.mode}: verifying acknowledged writes at every site`);
  const final = await collectState(world, s, setup, rec, { light: false });
  rec.quotaSamples.sort((a, b) => a.t - b.t);
  const invariants = evaluateChecks(s, rec, final);
  const cpu = process.cpuUsage(cpu0);
  return {
    scenario: s,
    world: { mode: world.mode, deterministic: world.deterministic, fidelity: world.fidelity },
    rec,
    final,
    invariants,
    traffic: world.traffic(),
    federatedQuota: setup.federatedQuota,
    conflictsBefore: baseline.conflicts.total,
    resources: {
      wallMs: Math.round(performance.now() - wall0),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
  };
}
