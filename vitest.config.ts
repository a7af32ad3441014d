import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'cli/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/setup/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two cores: cluster suites spawn their own processes
    maxWorkers: 2,
  },
});
