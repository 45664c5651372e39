import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('keeps the records of a site that ran alone before joining a federation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brume-lone-'));
    try {
      const r = parseSiteConfig({ site: 'paris', dataDir: dir, api: { port: 0 }, mqtt: { port: 0 } });
      if (!r.ok) throw new Error(r.diagnostics.join('; '));
      const clock = manualClock();
      const dbPath = join(dir, 'site.db');
      const lone = await createEdgeSite({ config: r.config, clock, dbPath });
      await lone.identity.bootstrap({
        adminUser: 'admin',
        adminPassword: 'pw',
        adminProject: 'admin',
        publicUrl: 'http://paris.test:5000',
      });
      await lone.deps.catalog.put('domains', { id: 'd-x', name: 'x', description: '', enabled: true });
      const before = lone.deps.catalog.list('users').map((u) => u.id);
      await lone.stop();

      const open = () =>
        createEdgeSite({
          config: r.config,
          clock,
          dbPath,
          catalog: siteCatalog({ siteId: 'paris', clock, log: silentLogger }),
        });
      const joined = await open();
      const store = joined.deps.catalog as ReplicatedCatalog;
      expect(store.get('domains', 'd-x')?.name).toBe('x');
      expect(store.list('users').map((u) => u.id)).toEqual(before);
      await store.delete('domains', 'd-x');
      await joined.stop();
      // Imported once: a later start does not bring back what was deleted since.
      const again = await open();
      expect(again.deps.catalog.get('domains', 'd-x')).toBeUndefined();
      expect(again.deps.catalog.list('users').map((u) => u.id)).toEqual(before);
      await again.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
