/**
 * Global API benchmarks (issue 5): the added latency of the global hop (p50/p99, one client in a loop) versus
 * calling a site directly, on Node (the API `brume up` starts) and under workerd (`wrangler dev`); fan-out list
 * latency for 3 real regions and for 3 and 20 fake in-process regions; one region down (latency of the others).
 * Real processes on loopback: `brume up --sites 3` with the fake driver.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type Running, startBrume, startWranglerDev } from '../edge-site/testing/processes.ts';
import { createGlobalApp } from '../federation/global/app.ts';
import { parseGlobalConfig } from '../federation/global/config.ts';
import { createFakeFederation } from '../federation/global/fake-sites.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import { closedLoop, fmt } from './lib.ts';

const PASSWORD = 'bench-global';
const MS = Number(process.env.BENCH_GLOBAL_MS ?? 3000);

async function token(base: string): Promise<string> {
  const res = await fetch(`${base}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`auth at ${base}: ${res.status}`);
  return res.headers.get('x-subject-token') ?? '';
}

async function measure(label: string, url: string, tok: string, status = 200): Promise<number> {
  const get = async () => {
    const r = await fetch(url, { headers: { 'x-auth-token': tok } });
    await r.arrayBuffer();
    if (r.status !== status) throw new Error(String(r.status));
  };
  for (let i = 0; i < 20; i++) await get().catch(() => {});
  const r = await closedLoop(1, MS, get);
  console.log(
    `${label.padEnd(58)} p50 ${fmt(r.p50, 2).padStart(7)} ms  p99 ${fmt(r.p99, 2).padStart(7)} ms  ${fmt(r.perSecond, 0).padStart(5)}/s` +
      (r.errors > 0 ? `  errors ${r.errors}` : ''),
  );
  return r.p50;
}

function sitePid(configFile: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('site') && args.includes(configFile)) return Number(entry);
    } catch {
      // Gone.
    }
  }
  return undefined;
}

async function waitOk(url: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // Not yet.
    }
    if (Date.now() > end) throw new Error(`${url} never answered`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function fakeFanOut(regions: number): Promise<void> {
  const fed = await createFakeFederation(regions);
  const parsed = parseGlobalConfig({ sites: [fed.urls[0]] });
  if (!parsed.ok) throw new Error(parsed.diagnostics.join());
  const { app } = createGlobalApp({
    config: parsed.config,
    fetch: fed.fetch,
    now: () => Date.now(),
    log: silentLogger,
  });
  const r = await app.request('http://g/v3/auth/tokens', { method: 'POST', body: '{}' });
  const tok = r.headers.get('x-subject-token') ?? '';
  const get = async (path: string) => {
    const res = await app.request(`http://g${path}`, { headers: { 'x-auth-token': tok } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(String(res.status));
  };
  for (const id of fed.ids) await get(`/r/${id}/compute/v2.1/servers`);
  const one = await closedLoop(1, MS, () => get('/r/s1/network/v2.0/networks'));
  const all = await closedLoop(1, MS, () => get('/r/all/network/v2.0/networks'));
  console.log(
    `fake in-process sites, ${String(regions).padStart(2)} regions: one region p50 ${fmt(one.p50, 3)} ms p99 ${fmt(one.p99, 3)} ms; ` +
      `fan-out p50 ${fmt(all.p50, 3)} ms p99 ${fmt(all.p99, 3)} ms`,
  );
}

/** Runs the group. */
export async function benchGlobal(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-global-'));
  const sitePort = await freePort();
  const globalPort = await freePort();
  const wranglerPort = await freePort();
  let up: Running | undefined;
  let worker: Running | undefined;
  try {
    up = startBrume(
      [
        'up',
        '--sites',
        '3',
        '--data-dir',
        dir,
        '--port',
        String(sitePort),
        '--mqtt-port',
        '0',
        '--p2p-port',
        '0',
      ].concat(['--global-port', String(globalPort), '--driver', 'fake', '--agents', '1']),
      { BRUME_ADMIN_PASSWORD: PASSWORD, BRUME_LOG_LEVEL: 'error' },
    );
    worker = await startWranglerDev(wranglerPort, `http://127.0.0.1:${sitePort}`);
    await up.waitFor(/Press Ctrl-C to stop/, 120_000);
    const globalUrl = /export OS_AUTH_URL=(\S+)\/v3/.exec(up.output())?.[1] ?? '';
    const site1 = `http://127.0.0.1:${sitePort}`;
    const wr = `http://127.0.0.1:${wranglerPort}`;
    await waitOk(`${wr}/v3`);
    const direct = await token(site1);
    const viaNode = await token(globalUrl);
    const viaWorker = await token(wr);
    const path = '/compute/v2.1/flavors';
    console.log(`global hop, GET ${path} (one client in a loop, ${MS} ms each):`);
    const d = await measure('  direct to site1', `${site1}${path}`, direct);
    const n = await measure('  through the global API on Node (/r/site1)', `${globalUrl}/r/site1${path}`, viaNode);
    const w = await measure('  through the global API under workerd (wrangler dev)', `${wr}/r/site1${path}`, viaWorker);
    console.log(`  added by the hop, p50: Node ${fmt(n - d, 2)} ms, workerd ${fmt(w - d, 2)} ms`);

    console.log('fan-out list, 3 real regions:');
    for (const r of ['site1', 'site2', 'site3']) {
      const url = `${globalUrl}/r/${r}/network/v2.0/networks`;
      await measure(`  GET /r/${r}/network/v2.0/networks (one region)`, url, viaNode);
    }
    await measure('  GET /r/all/network/v2.0/networks (Node)', `${globalUrl}/r/all/network/v2.0/networks`, viaNode);
    await measure('  GET /r/all/network/v2.0/networks (workerd)', `${wr}/r/all/network/v2.0/networks`, viaWorker);
    await fakeFanOut(3);
    await fakeFanOut(20);

    const pid = sitePid(join(dir, 'site3', 'site-config.json'));
    if (pid !== undefined) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 200 && readdirSync('/proc').includes(String(pid)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const first = performance.now();
      const r = await fetch(`${globalUrl}/r/site3${path}`, { headers: { 'x-auth-token': viaNode } });
      await r.arrayBuffer();
      console.log(`site3 stopped: first request to it ${r.status} after ${fmt(performance.now() - first, 2)} ms`);
      await measure('  site3 (circuit open: 503) via Node', `${globalUrl}/r/site3${path}`, viaNode, 503);
      await measure('  site1 via Node while site3 is down', `${globalUrl}/r/site1${path}`, viaNode);
      await measure(
        '  fan-out via Node while site3 is down (2 of 3 answer)',
        `${globalUrl}/r/all/network/v2.0/networks`,
        viaNode,
      );
      await measure('  site1 via workerd while site3 is down', `${wr}/r/site1${path}`, viaWorker);
    }
  } finally {
    await worker?.stop();
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGlobal();
