import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Offline: no metrics, no cf.json download.
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';

/** The global API's tests that run inside workerd (`*.workerd.test.ts`), part of `npm test`. */
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: '../../wrangler.toml' } })],
  test: {
    name: 'workerd',
    root: import.meta.dirname,
    include: ['**/*.workerd.test.ts'],
    testTimeout: 30_000,
  },
});
