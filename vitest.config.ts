import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { ensureConsoleBuilt } from './scripts/lib/console-build.js';

// wrangler.toml's [assets] directory must exist before the workers pool or any wrangler dev starts:
// the web console, built from edge/console/ when its sources are newer than the bundle.
await ensureConsoleBuilt();

export default defineConfig({
  test: {
    // `npm run test:coverage` covers the Node project (v8); workerd code is exercised by the
    // workers project, whose pool does not support v8 coverage.
    coverage: {
      provider: 'v8',
      reporter: ['text-summary', 'lcov'],
      include: ['origin/**', 'shared/**', 'scripts/**'],
      reportsDirectory: './coverage',
    },
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
          // Bindings come from the globalSetup (Node): the real origins, the Upstash bridge and the
          // stub server it started. Tests override them per call (see test/edge/helpers.ts).
          cloudflareTest(({ inject }) => ({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ENVIRONMENT: 'test',
                ORIGIN_URL: inject('originUrl'),
                ORIGIN_AUTH_TOKEN: inject('originToken'),
                JWT_SECRET: inject('jwtSecret'),
                SIGNED_URLS: 'presets-free',
                SIGNING_KEY: inject('signingKey'),
                IMAGE_RATE_LIMIT: '100000/60s',
                API_RATE_LIMIT: '100000/60s',
                TOKEN_RATE_LIMIT: '100000/60s',
                // No Upstash by default (in-memory limiters); the tests of the Upstash path set it.
                UPSTASH_REDIS_REST_URL: '',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          // The shared/ tests run here too: shared/ must work unchanged inside workerd.
          include: ['test/edge/**/*.test.ts', 'test/shared/**/*.test.ts'],
          globalSetup: ['./test/support/edge-global-setup.ts'],
          // One file at a time: the edge tests count origin calls in the origins' /metrics, which
          // a concurrently running file would disturb.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
