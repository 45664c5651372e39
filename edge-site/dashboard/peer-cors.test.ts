import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../api/env.ts';
import { peerCors } from './peer-cors.ts';

const site = (id: string, url: string) => ({ id, name: id, region: id, url, created_at: 0, last_seen: 0 });
const catalog = {
  list: () => [site('site1', 'http://127.0.0.1:5000'), site('site2', 'http://127.0.0.1:5001')],
} as unknown as Parameters<typeof peerCors>[0];

function app(): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.use(peerCors(catalog));
  a.get('/compute/v2.1/os-hypervisors/detail', (c) => c.json({ hypervisors: [] }));
  return a;
}
const url = 'http://127.0.0.1:5000/compute/v2.1/os-hypervisors/detail';

describe('CORS for the other sites of the federation', () => {
  it('lets another site’s dashboard read this site’s API, preflight included', async () => {
    const pre = await app().request(url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:5001', 'Access-Control-Request-Method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5001');
    expect(pre.headers.get('access-control-allow-headers')).toContain('X-Auth-Token');
    const res = await app().request(url, { headers: { Origin: 'http://127.0.0.1:5001' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5001');
  });

  it('allows no other origin, and leaves same-origin and origin-less requests alone', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:5000', undefined]) {
      const res = await app().request(url, { headers: origin ? { Origin: origin } : {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const pre = await app().request(url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
