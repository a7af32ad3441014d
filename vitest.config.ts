import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test tiers (docs/ARCHITECTURE.md, "Test tiers"), one vitest project each: `npm test` runs
 * them all, `npm test -- --project unit` one. New tiers add a project here.
 */
const BROWSER = '**/*.browser.test.ts';
const EXCLUDED = [...configDefaults.exclude, BROWSER];
const CLUSTER_CLI = 'cli/test/**/*-cluster.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two cores: cluster suites spawn their own processes
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Pure code (packages) and the checks on the tree itself: no database, no sockets.
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test/lint/**/*.test.ts'],
          exclude: EXCLUDED,
        },
      },
      {
        extends: true,
        // One service or the CLI against a real database (PGlite, and Postgres when
        // DATABASE_URL is set), real sockets, in-process nodes, a `kith` process at most.
        test: {
          name: 'medium',
          include: ['services/*/test/**/*.test.ts', 'cli/test/**/*.test.ts'],
          exclude: [...EXCLUDED, CLUSTER_CLI],
        },
      },
      {
        extends: true,
        // Several real `kith up` processes on loopback addresses, driven through the CLI.
        test: { name: 'cluster', include: ['test/cluster/**/*.test.ts', CLUSTER_CLI], exclude: EXCLUDED },
      },
      {
        extends: true,
        // The real image and docker-compose.yml (test/appliance): runs when a Docker engine
        // answers, and in CI always (.ci/run starts one); minutes, mostly the image build.
        test: {
          name: 'appliance',
          include: ['test/appliance/**/*.test.ts'],
          exclude: EXCLUDED,
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        extends: true,
        // Code running in Chromium (/usr/bin/chromium, or KITH_CHROMIUM) through playwright-core.
        test: { name: 'browser', include: [BROWSER] },
      },
    ],
  },
});
