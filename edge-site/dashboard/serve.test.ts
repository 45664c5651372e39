import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../api/env.ts';
import { dashboardRoutes } from './serve.ts';

function app(): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.route('/dashboard', dashboardRoutes());
  a.get('/', (c) => c.json({ versions: {} }));
  return a;
}

describe('dashboard static serving', () => {
  it('serves the page at /dashboard and /dashboard/ with a same-origin CSP', async () => {
    for (const path of ['/dashboard', '/dashboard/']) {
      const res = await app().request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
      const html = await res.text();
      expect(html).toContain('/dashboard/app.js');
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it('bundles the client into one self-contained module (no CDN, no bare imports left)', async () => {
    const res = await app().request('/dashboard/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const js = await res.text();
    expect(js.length).toBeGreaterThan(10_000);
    expect(js).not.toMatch(/\bfrom\s*["'](preact|htm)/);
    expect(js).not.toMatch(/https?:\/\/(unpkg|cdn|esm\.sh)/);
  });

  it('lets the page connect to the federation sites’ APIs, and to nothing else', async () => {
    const site = (id: string, url: string) => ({ id, name: id, region: id, url, created_at: 0, last_seen: 0 });
    const catalog = {
      list: () => [site('site1', 'http://127.0.0.1:5000'), site('site2', 'http://127.0.0.1:5001/')],
    } as unknown as Parameters<typeof dashboardRoutes>[0];
    const a = new Hono<AppEnv>();
    a.route('/dashboard', dashboardRoutes(catalog));
    const res = await a.request('http://127.0.0.1:5000/dashboard/');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:5001;");
  });

  it('serves the stylesheet and leaves other paths to the site', async () => {
    const a = app();
    const css = await a.request('/dashboard/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect((await a.request('/dashboard/nope')).status).toBe(404);
    expect(await (await a.request('/')).json()).toEqual({ versions: {} });
  });
});
