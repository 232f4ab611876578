import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts', 'test/support/postgres-cluster.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most suites spend their time waiting on emulators, child processes and timers, not on a CPU: on a
    // 2-core machine the default (one worker) would run them one after another.
    maxWorkers: 2,
  },
});
