/**
 * The `proc` fidelity level: every site is a real `brume site` process (its own SQLite file, embedded agent broker,
 * HTTP API on loopback) with `brume agent` processes (fake driver) when the workload needs hosts. Sites federate
 * through one mosquitto broker (the MQTT transport); each site reaches it through its own fault-injecting proxy,
 * which carries that site's share of the link latency, loss and bandwidth, and cuts it off for a partition.
 * The netns level reuses this world with namespaces, netem and nftables instead of proxies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, type Running, startProcess } from '../../edge-site/testing/processes.ts';
import { startMosquitto } from '../../shared/testing/mosquitto.ts';
import type { LinkSpec, Scenario } from '../schema.ts';
import { declaredLink, seededRandom } from '../sim/links.ts';
import { needsAgents } from '../sim/sim-world.ts';
import type { SiteRequest, SiteResponse, TrafficStats, World } from '../world.ts';
import { type FaultProxy, type ProxyLink, startFaultProxy } from './fault-proxy.ts';
import { siteRequest } from './http.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const ADMIN_PASSWORD = 'scenario-admin';

/** How sites are placed and linked: loopback + proxies (proc), or namespaces + netem + nftables (netns). */
export interface ProcNetwork {
  describe: string[];
  /** Address the site's API and agent broker listen on. */
  hostOf(site: string): string;
  /** The federation broker URL the site uses. */
  brokerUrlOf(site: string): string;
  /** A unix socket reaching the site's API when the runner cannot reach its address (netns). */
  socketOf?(site: string): string;
  /** Started once the site's config exists (netns: its API forwarder). */
  siteStarted?(site: string, port: number): Promise<void>;
  /** Command prefix to start a process "at" the site (e.g. `ip netns exec NS`). */
  prefixOf(site: string): string[];
  /** Cuts `site` off from the broker (true) or reconnects it. */
  cut(site: string, cut: boolean): Promise<void>;
  /** Applies the site's per-direction link to the broker. */
  shape(site: string, link: ProxyLink): Promise<void>;
  traffic(): TrafficStats;
  close(): Promise<void>;
}

/** Each site's per-direction share of its declared links (half the mean latency to the other sites). */
export function siteShares(s: Scenario, overrides?: Map<string, LinkSpec>): Map<string, ProxyLink> {
  const out = new Map<string, ProxyLink>();
  for (const a of s.sites) {
    const links = s.sites
      .filter((b) => b.name !== a.name)
      .map((b) => overrides?.get(key(a.name, b.name)) ?? declaredLink(s, a.name, b.name));
    const mean = (f: (l: LinkSpec) => number) =>
      links.length === 0 ? 0 : links.reduce((x, l) => x + f(l), 0) / links.length;
    out.set(a.name, {
      latencyMs: mean((l) => l.latency ?? 0) / 2,
      jitterMs: mean((l) => l.jitter ?? 0) / 2,
      // Loss on either half of the path: about half the end-to-end loss on each.
      loss: mean((l) => l.loss ?? 0) / 2,
      bandwidth: Math.min(...links.map((l) => l.bandwidth ?? 0).filter((b) => b > 0), Number.POSITIVE_INFINITY),
    });
    const v = out.get(a.name);
    if (v && !Number.isFinite(v.bandwidth)) v.bandwidth = 0;
  }
  return out;
}

/** Kills a process without a goodbye (SIGKILL), as a crash would. */
async function crash(p: Running): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGKILL');
  await exited;
}

const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** The loopback network of the proc level: one mosquitto, one proxy per site. */
export async function proxyNetwork(s: Scenario, seed: number): Promise<ProcNetwork> {
  const broker = await startMosquitto();
  const random = seededRandom(seed);
  const proxies = new Map<string, FaultProxy>();
  for (const site of s.sites) {
    proxies.set(site.name, await startFaultProxy({ target: { host: '127.0.0.1', port: broker.port }, random }));
  }
  const get = (site: string) => {
    const p = proxies.get(site);
    if (!p) throw new Error(`no proxy for ${site}`);
    return p;
  };
  return {
    describe: [
      'sites federate through one mosquitto broker (MQTT transport); each site reaches it through its own TCP proxy',
      "a site's proxy adds half the mean of its declared link latencies per direction (site-to-site ≈ the declared latency; per-pair differences are averaged)",
      'jitter: each chunk draws its own latency in ±jitter (order kept); loss: a chunk stalls for one retransmission timeout (200 ms) with the declared probability, as TCP would; bandwidth: serialization delay with a queue per direction',
      'a partition cuts every site outside the largest group from the broker (so each minority site is isolated, also from its own group)',
    ],
    hostOf: () => '127.0.0.1',
    brokerUrlOf: (site) => `mqtt://127.0.0.1:${get(site).port}`,
    prefixOf: () => [],
    async cut(site, cut) {
      if (cut) get(site).block();
      else get(site).unblock();
    },
    async shape(site, link) {
      get(site).set(link);
    },
    traffic() {
      const t = { messages: 0, bytes: 0, dropped: 0 };
      for (const p of proxies.values()) {
        const st = p.stats();
        t.messages += st.chunks;
        t.bytes += st.bytes;
        t.dropped += st.resets;
      }
      return t;
    },
    async close() {
      for (const p of proxies.values()) await p.close();
      await broker.stop();
    },
  };
}

interface ProcSite {
  name: string;
  index: number;
  config: string;
  url: string;
  mqttPort: number;
  proc?: Running;
  agents: (Running | undefined)[];
}

/** Builds the world of real processes over `network` (default: loopback proxies). */
export async function createProcWorldOn(
  s: Scenario,
  progress: (line: string) => void,
  network: ProcNetwork,
  mode: 'proc' | 'netns',
): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), `brume-${mode}-`));
  const sites = new Map<string, ProcSite>();
  const withAgents = needsAgents(s);
  const cli = join(repoRoot, 'edge-site', 'cli.ts');
  const agentCli = join(repoRoot, 'site-agent', 'cli.ts');
  const spawnAt = (site: string, args: string[]): Running => {
    const prefix = network.prefixOf(site);
    const [cmd, ...rest] = [...prefix, process.execPath, ...args];
    return startProcess(cmd as string, rest, { BRUME_LOG_LEVEL: 'error' });
  };
  const startSite = async (ps: ProcSite) => {
    ps.proc = spawnAt(ps.name, [cli, 'site', '--config', ps.config]);
    await ps.proc.waitFor(/listening on/, 120_000);
    await network.siteStarted?.(ps.name, Number(new URL(ps.url).port));
  };
  const startAgent = (ps: ProcSite, host: number) => {
    ps.agents[host - 1] = spawnAt(ps.name, [
      agentCli,
      '--site',
      ps.name,
      '--host',
      `${ps.name}-host${host}`,
      '--mqtt',
      `mqtt://${network.hostOf(ps.name)}:${ps.mqttPort}`,
      '--driver',
      'fake',
      '--data-dir',
      join(dir, ps.name, `agent${host}`),
      '--log-level',
      'info',
    ]);
  };

  const closeAll = async () => {
    for (const ps of sites.values()) {
      for (const a of ps.agents) await a?.stop(5000);
      await ps.proc?.stop(10_000);
    }
    await network.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const [index, spec] of s.sites.entries()) {
      const host = network.hostOf(spec.name);
      const port = mode === 'proc' ? await freePort() : 5000;
      const mqttPort = mode === 'proc' ? await freePort() : 1883;
      const config = join(dir, `${spec.name}.json`);
      mkdirSync(join(dir, spec.name), { recursive: true });
      writeFileSync(
        config,
        JSON.stringify({
          site: spec.name,
          region: spec.region,
          dataDir: join(dir, spec.name),
          api: { host, port },
          mqtt: { host, port: mqttPort },
          bootstrap: { adminPassword: ADMIN_PASSWORD },
          logLevel: 'error',
          federation: {
            enabled: true,
            transport: 'mqtt',
            mqttUrl: network.brokerUrlOf(spec.name),
            heartbeatSeconds: s.federation.heartbeat / 1000,
            syncIntervalMs: s.federation.sync_interval,
          },
        }),
      );
      const ps: ProcSite = { name: spec.name, index, config, url: `http://${host}:${port}`, mqttPort, agents: [] };
      sites.set(spec.name, ps);
    }
    const shares = siteShares(s);
    for (const [site, link] of shares) await network.shape(site, link);
    progress(`${mode}: starting ${s.sites.length} site process(es)`);
    // Two at a time: each start pays Node's start-up and the migrations.
    const list = [...sites.values()];
    for (let i = 0; i < list.length; i += 2) await Promise.all(list.slice(i, i + 2).map(startSite));
    if (withAgents) {
      for (const ps of list) for (let h = 1; h <= (s.sites[ps.index]?.hosts ?? 0); h++) startAgent(ps, h);
      for (const ps of list) for (const a of ps.agents) await a?.waitFor(/agent online/, 60_000);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  const overrides = new Map<string, LinkSpec>();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
  const siteOf = (name: string) => {
    const ps = sites.get(name);
    if (!ps) throw new Error(`no site ${name}`);
    return ps;
  };

  return {
    mode,
    deterministic: false,
    fidelity: [
      `${s.sites.length} real \`brume site\` processes (SQLite files, embedded agent broker, HTTP on ${mode === 'proc' ? 'loopback' : 'namespace addresses'})`,
      withAgents ? '`brume agent` processes with the fake hypervisor driver' : 'no agents: the workload needs no hosts',
      ...network.describe,
      'latencies are wall-clock times measured by the runner; clock skew cannot be injected into real processes (ignored)',
    ],
    now,
    at(t, fn) {
      setTimeout(fn, Math.max(0, t - now()));
    },
    async runUntil(t) {
      await sleep(t - now());
    },
    sleep,
    async request(name, req: SiteRequest): Promise<SiteResponse> {
      const ps = sites.get(name);
      if (!ps?.proc) return { status: 0, body: null, headers: new Headers() };
      return siteRequest(ps.url, req, network.socketOf?.(name));
    },
    clientLatency: () => 0,
    async partition(groups) {
      const hub = [...groups].sort((a, b) => b.length - a.length)[0] ?? [];
      for (const site of sites.keys()) await network.cut(site, !hub.includes(site));
    },
    async heal() {
      for (const site of sites.keys()) await network.cut(site, false);
    },
    async setLink(a, b, link) {
      for (const x of a)
        for (const y of b) if (x !== y) overrides.set(key(x, y), { ...declaredLink(s, x, y), ...link });
      for (const [site, l] of siteShares(s, overrides)) await network.shape(site, l);
    },
    async killSite(name) {
      const ps = siteOf(name);
      const p = ps.proc;
      ps.proc = undefined;
      if (p) await crash(p);
    },
    async restartSite(name) {
      const ps = siteOf(name);
      if (!ps.proc) await startSite(ps);
    },
    async killAgent(name, host) {
      const ps = siteOf(name);
      const a = ps.agents[host - 1];
      ps.agents[host - 1] = undefined;
      if (a) await crash(a);
    },
    async restartAgent(name, host) {
      const ps = siteOf(name);
      if (!ps.agents[host - 1]) startAgent(ps, host);
    },
    async skewClock() {},
    isUp: (name) => sites.get(name)?.proc !== undefined,
    adminPassword: ADMIN_PASSWORD,
    traffic: () => network.traffic(),
    close: closeAll,
  };
}

/** The proc world on loopback. */
export async function createProcWorld(s: Scenario, seed: number, progress: (line: string) => void): Promise<World> {
  const network = await proxyNetwork(s, seed);
  return createProcWorldOn(s, progress, network, 'proc');
}
