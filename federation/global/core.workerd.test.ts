import { describe, expect, it } from 'vitest';
import { coreRoutingCases } from './core.cases.ts';
import worker from './worker.ts';

describe('global API core routing (inside workerd)', () => {
  it('runs in workerd', () => {
    // navigator.userAgent is "Cloudflare-Workers" inside workerd.
    expect(globalThis.navigator?.userAgent).toBe('Cloudflare-Workers');
  });
  it('the Worker entry reports a missing site list as a diagnostic', async () => {
    const r = await worker.fetch(new Request('https://global.example/v3'), {});
    expect(r.status).toBe(500);
    expect(JSON.stringify(await r.json())).toContain('BRUME_GLOBAL_SITES');
  });
  coreRoutingCases();
});
