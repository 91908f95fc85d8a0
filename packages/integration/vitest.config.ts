import { defineProject } from 'vitest/config';

/**
 * The real-server suite: the built CLI and `@swapbench/core` against a real llama-server, found through
 * SWAPBENCH_LLAMA_SERVER (see test/support/llama-server.ts). Without it the suite is skipped, visibly; with
 * CI set, that is a failure.
 */
export default defineProject({
  test: {
    name: 'real-server',
    include: ['test/**/*.test.ts'],
    // A temp history store per test file: the CLI persists runs by default.
    setupFiles: ['test/support/setup-store.ts'],
    expect: { requireAssertions: true },
    // Hang guards, not expectations: on a quiet machine the whole project takes well under a minute.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    // One file, so one llama-server, at a time, and never beside another project's files (a group of its own,
    // after the projects that run in parallel): a real server and the simulator's timing tests would slow each
    // other down. On a two-core machine vitest runs every file one at a time anyway.
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
