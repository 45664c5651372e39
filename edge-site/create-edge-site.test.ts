import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../shared/config.ts';
import { createEdgeSite } from './create-edge-site.ts';

function config() {
  const r = parseSiteConfig({ site: 'test', dataDir: '/nonexistent', api: { port: 0 }, mqtt: { port: 0 } });
  if (!r.ok) throw new Error(r.diagnostics.join('; '));
  return r.config;
}

describe('edge site composition', () => {
  it('serves health and metrics, 404s unknown routes and 401s anonymous API calls', async () => {
    const site = await createEdgeSite({ config: config(), dbPath: ':memory:' });
    const health = await site.app.request('/healthz');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    const missing = await site.app.request('/no/such/service');
    expect(missing.status).toBe(404);
    const anonymous = await site.app.request('/compute/v2.1/servers');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Keystone uri=/);
    const metrics = await site.app.request('/metrics');
    const text = await metrics.text();
    expect(text).toContain('brume_http_requests_total');
    expect(text).toContain('brume_servers{vm_state="active"} 0');
    await site.stop();
  });
});
