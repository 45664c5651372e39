/**
 * Dashboard figures: esbuild bundle time (cold and warm) and size of the client, and how fast a site serves the
 * cached bundle in-process. With Debian's chromium installed, also the time from navigation to the rendered login
 * page against an in-process server.
 */

import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AppEnv } from '../edge-site/api/env.ts';
import { haveChromium, launchChromium } from '../edge-site/dashboard/e2e/browser.ts';
import { bundleClient, dashboardRoutes } from '../edge-site/dashboard/serve.ts';
import { closedLoop, fmt, percentile } from './lib.ts';

/** Prints the dashboard group. */
export async function benchDashboard(): Promise<void> {
  const times: number[] = [];
  let js = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    js = await bundleClient();
    times.push(performance.now() - t);
  }
  console.log(`client bundle: first ${fmt(times[0] ?? 0)} ms, then p50 ${fmt(percentile(times.slice(1), 50))} ms`);
  console.log(`client bundle size: ${fmt(js.length / 1024)} KiB, gzip ${fmt(gzipSync(js).length / 1024)} KiB`);

  const app = new Hono<AppEnv>();
  app.route('/dashboard', dashboardRoutes());
  await app.request('/dashboard/app.js');
  const r = await closedLoop(8, 2000, async () => {
    await (await app.request('/dashboard/app.js')).arrayBuffer();
  });
  console.log(`GET /dashboard/app.js (cached, in-process): ${fmt(r.perSecond, 0)}/s, p50 ${fmt(r.p50, 2)} ms`);

  if (!haveChromium()) return console.log('chromium not installed: no page-load figure');
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await page.goto(`http://127.0.0.1:${port}/dashboard/`);
      await page.getByRole('heading', { name: 'Sign in to Brume' }).waitFor();
      loads.push(performance.now() - t);
    }
    console.log(`login page rendered in Chromium: p50 ${fmt(percentile(loads, 50))} ms (5 loads)`);
  } finally {
    await browser.close();
    server.close();
  }
}
