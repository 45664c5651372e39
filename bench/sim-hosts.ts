/**
 * `npm run bench -- sim-hosts`: what a simulated host costs (scenarios/sim/sim-hosts.ts): S sites' fleets (the real
 * fleet module on in-memory SQLite) and H agents each with the fake driver on the in-process bus, on a virtual clock
 * settled after every event as the sim does. Prints CPU to start the hosts, RSS per host, and CPU per virtual second
 * of heartbeats. BENCH_SIM_HOSTS="sites x hosts[,…]" (default 100x10).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createFleet } from '../edge-site/fleet/index.ts';
import { testConfig, testDeps } from '../edge-site/testing/deps.ts';
import { createSimHosts, SIM_HEARTBEAT_SECONDS } from '../scenarios/sim/sim-hosts.ts';
import { virtualClock } from '../scenarios/sim/virtual-clock.ts';
import { fmt } from './lib.ts';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** RSS and JS heap after a full collection, MiB. */
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: (m.heapUsed + m.external) / 2 ** 20 };
};

async function run(sites: number, perSite: number): Promise<void> {
  const clock = virtualClock(Date.UTC(2026, 0, 1));
  const hosts = createSimHosts(clock, 1);
  const fleets = [];
  for (let i = 0; i < sites; i++) {
    const deps = await testDeps({ clock, config: testConfig({ site: `s${i}` }) });
    fleets.push(await createFleet(deps, { bus: hosts.bus }));
  }
  await settle();
  const m0 = mem();
  const cpu0 = cpuS();
  for (let i = 0; i < sites; i++) {
    for (let h = 1; h <= perSite; h++) await hosts.start(`s${i}`, i, h);
    await settle();
  }
  await clock.runUntil(clock.now(), settle);
  const n = sites * perSite;
  const cpuStart = cpuS() - cpu0;
  const m1 = mem();
  const up = fleets.reduce((k, f) => k + f.fleet.hosts().filter((x) => x.state === 'up').length, 0);
  const virtualS = 60;
  const delivered0 = hosts.bus.stats().delivered;
  const cpu1 = cpuS();
  await clock.runUntil(clock.now() + virtualS * 1000, settle);
  const cpuBeat = cpuS() - cpu1;
  const up2 = fleets.reduce((k, f) => k + f.fleet.hosts().filter((x) => x.state === 'up').length, 0);
  const messages = hosts.bus.stats().delivered - delivered0;
  console.log(
    `sim-hosts ${sites} sites x ${perSite} hosts (${n}, ${up} up, ${up2} up after ${virtualS} s, heartbeat ${SIM_HEARTBEAT_SECONDS} s):`,
  );
  console.log(
    `  start: ${fmt(cpuStart, 2)} CPU-s (${fmt((cpuStart / n) * 1000, 2)} ms per host); ` +
      `RSS +${fmt(m1.rss - m0.rss, 0)} MiB, heap +${fmt(m1.heap - m0.heap, 0)} MiB ` +
      `(${fmt(((m1.heap - m0.heap) * 1024) / n, 1)} KiB per host)`,
  );
  console.log(
    `  heartbeats: ${fmt(cpuBeat / virtualS, 3)} CPU-s per virtual second (${fmt((cpuBeat / virtualS / n) * 1e6, 1)} µs per host), ` +
      `${messages} messages in ${virtualS} s; 10,000 hosts for 80 s ≈ ${fmt((cpuBeat / virtualS / n) * 10_000 * 80, 1)} CPU-s`,
  );
  await hosts.close();
  for (const f of fleets) await f.stop?.();
}

export async function benchSimHosts(): Promise<void> {
  const shapes = (process.env.BENCH_SIM_HOSTS ?? '100x10').split(',').map((x) => x.split('x').map(Number));
  for (const [sites, perSite] of shapes) await run(sites ?? 100, perSite ?? 10);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSimHosts();
