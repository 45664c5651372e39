/**
 * The `sim` fidelity level: every site is the real federated edge site (createFederatedSite: identity, compute,
 * image, network, volume modules, replicated catalog, sync, membership) in this process, on one virtual clock,
 * seeded ids, SQLite in memory (a file when the site is killed and restarted), one memory network carrying the
 * declared link latencies and loss. API requests are `app.request()` calls. Every declared host is a real agent
 * with the fake driver on the in-process agent bus, heartbeating on the virtual clock (sim-hosts.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDefaultFlavors } from '../../edge-site/compute/index.ts';
import { createFederatedSite, type FederatedSite } from '../../federation/site/federated-site.ts';
import { LiveDocBudget } from '../../federation/store/live-docs.ts';
import { memoryPersistence } from '../../federation/store/memory-persistence.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../../federation/transports/memory.ts';
import { parseSiteConfig } from '../../shared/config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { seededIds } from '../../shared/ports/ids.ts';
import type { Agent } from '../../site-agent/agent.ts';
import type { LinkSpec, Scenario } from '../schema.ts';
import type { SiteRequest, SiteResponse, World } from '../world.ts';
import { catalogUnion, handOver } from './catalog-handover.ts';
import { settleWithCrypto, trackCryptoWork } from './crypto-work.ts';
import { linkBetween, memoryLink, SIM_LINK_FIDELITY, seededRandom } from './links.ts';
import { createSimHosts, simHostsFidelity } from './sim-hosts.ts';
import { type VirtualClock, virtualClock } from './virtual-clock.ts';

const START = Date.UTC(2026, 0, 1);
const ADMIN_PASSWORD = 'scenario-admin';
/** Writes that may ask peers first (a boot reserves quota from the escrow, which may ask another site). */
const CLOCK_BOUND = /^\/compute\/v2\.1\/(servers|os-quota-sets\/[^/]+)$/;
/**
 * Live Automerge documents kept across all simulated sites (federation/store/live-docs.ts): each site holds a
 * replica of every site's per-owner documents (~3 per site), so 1,000 sites hold ~3M documents, which do not fit live
 * (~12 KB of wasm memory each, one 4 GiB wasm memory per process). The others stay as saved bytes, loaded on use.
 */
const LIVE_DOCS = Number(process.env.BRUME_SIM_LIVE_DOCS ?? 4096);
/** Sync rounds run after the hand-over, before time 0 (10 before the hand-over made the catalogs identical). */
const CONVERGE_ROUNDS = 2;

/** A clock that reads `offset` ms ahead of (or behind) the shared virtual clock: a site with a skewed clock. */
function skewed(base: VirtualClock, offset: { ms: number }): Clock {
  return { now: () => base.now() + offset.ms, sleep: (ms) => base.sleep(ms), every: (ms, fn) => base.every(ms, fn) };
}

interface SimSite {
  name: string;
  site?: FederatedSite;
  offset: { ms: number };
  dbPath: string;
  agents: (Agent | undefined)[];
}

/** Whether the scenario needs hosts (agents) at all: a boot storm or an agent fault. */
export function needsAgents(s: Scenario): boolean {
  return s.workload.some((w) => w.kind === 'boot-storm') || s.faults.some((f) => f.kill_agent !== undefined);
}

/** Builds the simulated federation, bootstraps every site and lets the catalogs converge before time 0. */
export async function createSimWorld(s: Scenario, seed: number, progress: (line: string) => void): Promise<World> {
  const clock = virtualClock(START);
  const random = seededRandom(seed);
  const net: MemoryNetwork = createMemoryNetwork({ clock, random, defaults: memoryLink(s.links.default) });
  const hosts = createSimHosts(clock, seed);
  trackCryptoWork();
  const killed = new Set(s.faults.flatMap((f) => (f.kill ? [f.kill] : [])));
  const dir = mkdtempSync(join(tmpdir(), 'brume-sim-'));
  const liveDocs = new LiveDocBudget(LIVE_DOCS);
  const pending = new Set<Promise<unknown>>();
  const sites = new Map<string, SimSite>();
  let t0 = START;

  // The default link is the network's default; only pairs a `between` entry names get a link of their own (a link
  // object per pair is 500k objects at 1,000 sites).
  for (const e of s.links.between) {
    for (const a of e.a) for (const b of e.b) if (a !== b) net.link(a, b, memoryLink(linkBetween(s, a, b, seed)));
  }

  let stalls = 0;
  const pendingWhat = new Map<Promise<unknown>, string>();
  /** Requests that wait on peers (quota escrow asks): they complete at a later event of the virtual clock. */
  const clockBound = new Set<Promise<unknown>>();
  /**
   * After each event: deliver due messages and let every API request started so far finish before time moves
   * (password hashing runs on the thread pool: virtual time must not pass while it does). A request still pending
   * after a minute of wall-clock time is taken to wait on the virtual clock itself; it completes at a later event
   * (the report then says the run may not repeat exactly).
   */
  const settle = async () => {
    await settleWithCrypto(() => net.settle());
    const deadline = performance.now() + Number(process.env.BRUME_SIM_STALL_MS ?? 60_000);
    while ([...pending].some((p) => !clockBound.has(p))) {
      if (performance.now() > deadline) {
        stalls++;
        if (process.env.BRUME_SIM_DEBUG) process.stderr.write(`stall: ${[...pendingWhat.values()].join(', ')}\n`);
        break;
      }
      const waiting = [...pending].filter((p) => !clockBound.has(p));
      await Promise.race([...waiting, new Promise<void>((r) => setTimeout(r, 20))]).catch(() => {});
      await settleWithCrypto(() => net.settle());
    }
  };

  const startSite = async (ss: SimSite, index: number) => {
    const parsed = parseSiteConfig({
      site: ss.name,
      region: s.sites[index]?.region,
      dataDir: join(dir, ss.name),
      api: { port: 0, publicUrl: `http://${ss.name}.sim:5000` },
      mqtt: { url: hosts.bus.url },
      bootstrap: { adminPassword: ADMIN_PASSWORD },
      federation: {
        enabled: true,
        transport: 'none',
        heartbeatSeconds: s.federation.heartbeat / 1000,
        syncIntervalMs: s.federation.sync_interval,
      },
    });
    if (!parsed.ok) throw new Error(parsed.diagnostics.join('; '));
    const c = skewed(clock, ss.offset);
    ss.site = await createFederatedSite({
      config: parsed.config,
      clock: c,
      ids: seededIds(seed * 100_003 + index + 1, () => c.now()),
      dbPath: ss.dbPath,
      transport: net.endpoint(ss.name),
      liveDocs,
      agentBus: hosts.bus,
      // A site the scenario never kills keeps its catalog documents in memory, sharing the snapshot bytes other
      // replicas of this process hold (no SQLite copy per site); a killed site reloads them from its file.
      ...(ss.dbPath === ':memory:' ? { catalogPersistence: () => memoryPersistence({ shareBytes: true }) } : {}),
    });
  };

  const startAgent = async (ss: SimSite, host: number, index: number) => {
    ss.agents[host - 1] = await hosts.start(ss.name, index, host);
  };

  progress(`sim: starting ${s.sites.length} site(s)`);
  // Isolated until the catalogs are handed over (catalog-handover.ts): no site syncs during the warm-up.
  net.partition([]);
  for (const [i, spec] of s.sites.entries()) {
    const ss: SimSite = {
      name: spec.name,
      offset: { ms: 0 },
      dbPath: killed.has(spec.name) ? join(dir, spec.name, 'site.db') : ':memory:',
      agents: [],
    };
    sites.set(spec.name, ss);
    await startSite(ss, i);
    if (i % 50 === 49) progress(`sim: ${i + 1}/${s.sites.length} sites started`);
  }
  // The first site bootstraps the federation; the others join once its catalog reached them (bootstrap finds the
  // admin user, project and roles by name and adds only this site's region and endpoints), as `brume up` sites do.
  // The catalogs travel as whole documents through each replica's merge path, not over the network.
  const bootstrap = async (ss: SimSite) => {
    const site = ss.site as FederatedSite;
    await site.identity.bootstrap({
      adminUser: 'admin',
      adminPassword: ADMIN_PASSWORD,
      adminProject: 'admin',
      publicUrl: site.url,
    });
    await seedDefaultFlavors(site.deps.catalog, site.deps.clock);
  };
  const [firstSite, ...others] = [...sites.values()];
  const replicaOf = (ss: SimSite) => (ss.site as FederatedSite).store.replica;
  if (firstSite) {
    await bootstrap(firstSite);
    await firstSite.site?.store.flush();
    const seed = catalogUnion([replicaOf(firstSite)]);
    for (const [i, ss] of others.entries()) {
      handOver(replicaOf(ss), seed);
      await bootstrap(ss);
      if (i % 50 === 49) progress(`sim: ${i + 2}/${s.sites.length} sites bootstrapped`);
    }
  }
  await clock.runUntil(clock.now() + s.federation.sync_interval, settle);
  progress('sim: handing the union of the catalogs to every site');
  const union = catalogUnion([...sites.values()].map(replicaOf));
  for (const [i, ss] of [...sites.values()].entries()) {
    handOver(replicaOf(ss), union);
    await ss.site?.store.flush();
    if (i % 50 === 49) progress(`sim: ${i + 1}/${s.sites.length} catalogs handed over`);
  }
  net.heal();
  const declaredHosts = s.sites.reduce((n, x) => n + x.hosts, 0);
  if (declaredHosts > 0) progress(`sim: starting ${declaredHosts} host agent(s)`);
  for (const [i, spec] of s.sites.entries()) {
    const ss = sites.get(spec.name) as SimSite;
    for (let h = 1; h <= spec.hosts; h++) await startAgent(ss, h, i);
  }
  // Warm-up: the hand-over left every catalog identical; a few sync rounds let the sites exchange digests and learn
  // each other's liveness before the timeline starts (each round costs ~n² digest work at scale).
  progress('sim: converging the catalogs before time 0');
  await clock.runUntil(clock.now() + CONVERGE_ROUNDS * s.federation.sync_interval, settle);
  t0 = clock.now();

  const siteOf = (name: string) => {
    const ss = sites.get(name);
    if (!ss) throw new Error(`no site ${name}`);
    return ss;
  };

  const fidelity = [
    `${s.sites.length} real federated edge sites (all modules) in one process, SQLite in memory`,
    killed.size === s.sites.length
      ? 'every site keeps its catalog in SQLite on a file (it is killed and restarted)'
      : 'catalog documents kept in memory by reference, shared between replicas (not SQLite)' +
        (killed.size > 0
          ? `, except at ${[...killed].sort().join(', ')}: SQLite on a file (killed and restarted)`
          : ''),
    'virtual clock driven by a discrete-event scheduler; ids seeded; one memory transport between the sites',
    'latencies are virtual time: the client link plus any wait on the clock or the WAN (CPU time is not counted)',
    SIM_LINK_FIDELITY,
    'before time 0 the sites start isolated and each receives the union of all catalogs as whole documents ' +
      `through its replica's merge (not over the network), then ${CONVERGE_ROUNDS} sync rounds run over the links; ` +
      'from time 0 on, catalog sync runs over the links',
    simHostsFidelity(declaredHosts),
  ];

  const world: World = {
    mode: 'sim',
    deterministic: true,
    get fidelity() {
      return [
        ...fidelity,
        ...(stalls > 0 ? [`${stalls} event(s) moved on while a request waited on the virtual clock`] : []),
      ];
    },
    now: () => clock.now() - t0,
    at(t, fn) {
      clock.at(t0 + t, fn);
    },
    async runUntil(t) {
      await clock.runUntil(t0 + t, settle);
    },
    sleep: (ms) => clock.sleep(ms),
    async request(name, req: SiteRequest): Promise<SiteResponse> {
      const ss = sites.get(name);
      if (!ss?.site) return { status: 0, body: null, headers: new Headers() };
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      if (req.raw !== undefined) headers['Content-Type'] = 'application/octet-stream';
      if (req.token) headers['X-Auth-Token'] = req.token;
      const p = (async () => {
        const res = await (ss.site as FederatedSite).app.request(req.path, {
          method: req.method ?? 'GET',
          headers,
          body: req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
        });
        const text = await res.text();
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = text;
        }
        return { status: res.status, body, headers: res.headers };
      })();
      pending.add(p);
      pendingWhat.set(p, `${req.method ?? 'GET'} ${req.path}`);
      if (req.method !== undefined && req.method !== 'GET' && CLOCK_BOUND.test(req.path)) clockBound.add(p);
      try {
        return await p;
      } catch {
        return { status: 0, body: null, headers: new Headers() };
      } finally {
        pending.delete(p);
        pendingWhat.delete(p);
        clockBound.delete(p);
      }
    },
    clientLatency: () => 2 * (s.links.client.latency ?? 0),
    async partition(groups) {
      const listed = new Set(groups.flat());
      // A site named in no group is cut off from everyone.
      net.partition([...groups, ...s.sites.filter((x) => !listed.has(x.name)).map((x) => [x.name])]);
    },
    async heal() {
      net.heal();
    },
    async setLink(a, b, link: LinkSpec) {
      for (const x of a) for (const y of b) if (x !== y) net.link(x, y, memoryLink(link));
    },
    async killSite(name) {
      const ss = siteOf(name);
      const site = ss.site;
      ss.site = undefined;
      await site?.stop();
    },
    async restartSite(name) {
      const ss = siteOf(name);
      if (ss.site) return;
      await startSite(
        ss,
        s.sites.findIndex((x) => x.name === name),
      );
    },
    async killAgent(name, host) {
      const ss = siteOf(name);
      const a = ss.agents[host - 1];
      ss.agents[host - 1] = undefined;
      await a?.kill();
    },
    async restartAgent(name, host) {
      const ss = siteOf(name);
      if (ss.agents[host - 1]) return;
      await startAgent(
        ss,
        host,
        s.sites.findIndex((x) => x.name === name),
      );
    },
    async skewClock(name, ms) {
      siteOf(name).offset.ms = ms;
    },
    isUp: (name) => sites.get(name)?.site !== undefined,
    adminPassword: ADMIN_PASSWORD,
    traffic() {
      const st = net.stats();
      return { messages: st.sent, bytes: st.bytes, dropped: st.dropped };
    },
    async close() {
      // Every site loses every peer at once (one burst each) rather than redrawing its overlay and exchanging heads
      // with new neighbours as each of the others stops in turn.
      net.partition([]);
      await net.settle();
      for (const ss of sites.values()) {
        for (const a of ss.agents) await a?.stop().catch(() => {});
        await ss.site?.stop().catch(() => {});
      }
      await hosts.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}
