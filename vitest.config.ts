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
    // Suites written before port windows expect a peer port that always listens; a test that
    // exercises windows turns them on itself (KITH_PORT_WINDOWS=on or its own config).
    env: { KITH_PORT_WINDOWS: 'off', KITH_PORT_MAPPING: 'off' },
    hookTimeout: 60_000,
    // Tests of several nodes (in-process or real processes) run on two cores beside each other:
    // one retry of a failed test, never of a hook, so a lost race under load does not sink CI
    // while a real break (fails twice) still does. Pure tiers (unit, fuzz) get none.
    retry: process.env.KITH_TEST_RETRY === '0' ? 0 : 1,
    pool: 'forks',
    // two cores: cluster suites spawn their own processes
    maxWorkers: 2,
    // Line coverage of the Node-side source (`--coverage`, as .ci/run does); docs/ARCHITECTURE.md
    // "Coverage". Code that runs only in Chromium (services/web/app) or in spawned `kith`
    // processes is not seen by v8 here; scripts/coverage-report.mjs prints the summary.
    coverage: {
      provider: 'v8',
      include: [
        'packages/*/src/**/*.ts',
        'services/*/src/**/*.ts',
        'cli/src/**/*.ts',
        'db/*.ts',
        'db/schema/**/*.ts',
      ],
      exclude: ['**/*.d.ts', 'db/drizzle.config.ts'],
      reporter: ['json-summary'],
      // A failing test must not hide the figures (the whole-suite run once wrote no summary).
      reportOnFailure: true,
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        extends: true,
        // Pure code (packages) and the checks on the tree itself: no database, no sockets.
        test: {
          name: 'unit',
          retry: 0,
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
        // Five users' nodes on network-namespace hosts under a seeded schedule of faults
        // (test/chaos; needs root and nft): a short run here, longer with `npm run chaos`.
        test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], exclude: EXCLUDED },
      },
      {
        extends: true,
        // Real network hops between namespace hosts the test makes (test/netns: a home router
        // with miniupnpd); skipped, saying why, without root, ip, nft or miniupnpd.
        test: { name: 'netns', include: ['test/netns/**/*.test.ts'], exclude: EXCLUDED },
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
