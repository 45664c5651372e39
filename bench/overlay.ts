/**
 * Catalog sync fan-out (issue 6, scale): N sites on the memory network with the real replicated catalog
 * (federation/testing/federation.ts), full mesh vs the sparse overlay (federation/sync/overlay.ts). Per N prints:
 * - join: messages and CPU seconds until every site holds every site's key record (start-up convergence);
 * - write: messages, bytes and CPU ms for one write to reach every site (mean of several writes at different sites);
 * - tick: messages of one idle anti-entropy tick (digests);
 * - heal: two halves each write 20 records while partitioned; messages, sync frames, bytes, CPU seconds and ticks
 *   from the heal until every replica holds the same heads.
 *
 * `node bench/overlay.ts [N...] [mesh|overlay] [auth]` (default 9 45 100 250, both modes; full mesh only up to 100
 * sites unless N is given explicitly). Prints figures; not a test.
 */
import { createTestFederation, type TestFederation } from '../federation/testing/federation.ts';
import type { User } from '../shared/schemas/catalog/index.ts';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const user = (id: string, site: string): User => ({
  id,
  name: `n-${id}`,
  domain_id: 'default',
  enabled: true,
  description: site,
});

const allEqual = (fed: TestFederation) =>
  new Set([...fed.sites.values()].map((s) => s.sync.status().digest)).size === 1;

async function settleUntil(fed: TestFederation, done: () => boolean, maxTicks = 60): Promise<number> {
  await fed.net.settle();
  let ticks = 0;
  while (!done() && ticks < maxTicks) {
    await fed.settle(1);
    ticks++;
  }
  if (!done()) throw new Error(`not converged after ${maxTicks} ticks`);
  return ticks;
}

/** Sync frames queued by every site so far (several frames travel in one message when bundled). */
const frames = (fed: TestFederation) => [...fed.sites.values()].reduce((t, s) => t + s.sync.traffic().frames, 0);

async function run(n: number, mode: 'mesh' | 'overlay', auth: boolean): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `site${String(i).padStart(4, '0')}`);
  const t0 = cpu();
  const w0 = performance.now();
  const fed = await createTestFederation(ids, {
    sync: mode === 'mesh' ? { overlay: { fullMeshMax: 1_000_000 } } : {},
    ...(auth ? { auth: {} } : {}),
  });
  try {
    const startCpu = cpu() - t0;
    const m0 = fed.net.stats();
    const c0 = cpu();
    const joinTicks = await settleUntil(fed, () => allEqual(fed));
    const join = { messages: fed.net.stats().sent - m0.sent, cpu: cpu() - c0, ticks: joinTicks };
    // Two ticks more: the memory network tells existing endpoints nothing of later ones, so their overlays are
    // redrawn at a tick (or on a first message) rather than at once.
    await fed.settle(2);
    const degree = [...fed.sites.values()].reduce((m, s) => m + s.sync.status().neighbours.length, 0) / n;

    // One write, until every site holds it.
    const writes = 5;
    const w = { messages: 0, bytes: 0, cpu: 0, each: [] as number[] };
    for (let i = 0; i < writes; i++) {
      const at = ids[Math.floor((i * n) / writes)] ?? '';
      const b = fed.net.stats();
      const c = cpu();
      await fed.site(at).store.put('users', user(`w${i}`, at));
      await fed.site(at).store.flush();
      await settleUntil(fed, () => ids.every((id) => fed.site(id).store.get('users', `w${i}`) !== undefined), 10);
      const a = fed.net.stats();
      w.messages += a.sent - b.sent;
      w.each.push(a.sent - b.sent);
      w.bytes += a.bytes - b.bytes;
      w.cpu += cpu() - c;
    }
    await settleUntil(fed, () => allEqual(fed));

    // Idle ticks (digests only), averaged over 10.
    await fed.settle(5);
    const i0 = fed.net.stats().sent;
    await fed.settle(10);
    const idle = (fed.net.stats().sent - i0) / 10;

    // Partition into halves, 20 writes per side, heal.
    const halves = [ids.slice(0, n / 2), ids.slice(n / 2)];
    fed.net.partition(halves);
    await fed.settle(1);
    for (const [h, half] of halves.entries()) {
      for (let k = 0; k < 20; k++) {
        const at = half[Math.floor((k * half.length) / 20)] ?? '';
        await fed.site(at).store.put('users', user(`p${h}-${k}`, at));
      }
    }
    await fed.settle(2);
    const h0 = fed.net.stats();
    const f0 = frames(fed);
    const hc = cpu();
    fed.net.heal();
    const healTicks = await settleUntil(fed, () => allEqual(fed));
    const h1 = fed.net.stats();
    const heal = {
      frames: frames(fed) - f0,
      messages: h1.sent - h0.sent,
      bytes: h1.bytes - h0.bytes,
      cpu: cpu() - hc,
      ticks: healTicks,
    };
    const wall = (performance.now() - w0) / 1000;
    console.log(
      `${String(n).padStart(5)} sites ${mode.padEnd(7)} degree ${degree.toFixed(1).padStart(5)} | ` +
        `start ${startCpu.toFixed(1)} s CPU, join ${join.messages} msgs ${join.cpu.toFixed(1)} s CPU | ` +
        `write ${Math.round(w.messages / writes)} msgs (${Math.min(...w.each)}-${Math.max(...w.each)}) ` +
        `${Math.round(w.bytes / writes / 1024)} KiB ` +
        `${((w.cpu / writes) * 1000).toFixed(0)} ms CPU | idle tick ${idle} msgs | ` +
        `heal ${heal.messages} msgs ${heal.frames} frames ${(heal.bytes / 1024 / 1024).toFixed(1)} MiB ${heal.cpu.toFixed(1)} s CPU ` +
        `${heal.ticks} ticks | wall ${wall.toFixed(0)} s`,
    );
  } finally {
    await fed.close();
  }
}

/** Runs the benchmark and prints its figures. */
export async function benchOverlay(
  sizes: readonly number[] = [9, 45, 100, 250],
  modes: readonly ('mesh' | 'overlay')[] = ['mesh', 'overlay'],
  auth = false,
  meshMax = 100,
): Promise<void> {
  console.log(`catalog sync fan-out, memory network, real replicated catalog${auth ? ', signed messages' : ''}:`);
  for (const n of sizes) {
    for (const mode of modes) {
      if (mode === 'mesh' && n > meshMax) {
        console.log(`${String(n).padStart(5)} sites mesh    skipped (above ${meshMax} sites: n² too slow to run here)`);
        continue;
      }
      await run(n, mode, auth);
    }
  }
}

if (import.meta.filename === process.argv[1]) {
  const args = process.argv.slice(2);
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const modes = args.filter((a): a is 'mesh' | 'overlay' => a === 'mesh' || a === 'overlay');
  await benchOverlay(
    sizes.length > 0 ? sizes : undefined,
    modes.length > 0 ? modes : undefined,
    args.includes('auth'),
    sizes.length > 0 ? Number.POSITIVE_INFINITY : 100,
  );
}
