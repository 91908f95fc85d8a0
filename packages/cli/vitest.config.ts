import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    // A temp history store per test file: the CLI persists runs by default.
    setupFiles: ['test/setup-store.ts'],
    expect: { requireAssertions: true },
    testTimeout: 60_000,
  },
});
