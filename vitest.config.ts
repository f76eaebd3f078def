import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/edge/**', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
          }),
        ],
        test: {
          name: 'workers',
          // The shared/ tests run here too: shared/ must work unchanged inside workerd.
          include: ['test/edge/**/*.test.ts', 'test/shared/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
