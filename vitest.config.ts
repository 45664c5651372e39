import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // *.workerd.test.ts run inside workerd: federation/global/vitest.workerd.config.ts (second step of `npm test`).
    exclude: ['node_modules/**', '.brume/**', 'tmp/**', '**/*.workerd.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
