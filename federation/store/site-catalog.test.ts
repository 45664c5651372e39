import { describe, expect, it } from 'vitest';
import { createEdgeSite } from '../../edge-site/create-edge-site.ts';
import { manualClock } from '../../edge-site/testing/deps.ts';
import { parseSiteConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import type { ReplicatedCatalog } from './replicated-catalog.ts';
import { siteCatalog } from './site-catalog.ts';

describe('replicated catalog inside an edge site', () => {
  it('boots a site on it and keeps what the site bootstrapped', async () => {
    const r = parseSiteConfig({ site: 'paris', dataDir: '/nonexistent', api: { port: 0 }, mqtt: { port: 0 } });
    if (!r.ok) throw new Error(r.diagnostics.join('; '));
    const clock = manualClock();
    const site = await createEdgeSite({
      config: r.config,
      clock,
      dbPath: ':memory:',
      catalog: siteCatalog({ siteId: 'paris', clock, log: silentLogger }),
    });
    const store = site.deps.catalog as ReplicatedCatalog;
    expect(store.siteId).toBe('paris');
    expect((await site.app.request('/healthz')).status).toBe(200);
    await store.put('domains', { id: 'd-x', name: 'x', description: '', enabled: true });
    expect(store.replica.docs().length).toBeGreaterThan(0);
    await site.stop();
  });
});
