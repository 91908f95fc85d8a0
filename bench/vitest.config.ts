import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bench',
    include: ['*.test.ts'],
    expect: { requireAssertions: true },
    testTimeout: 120_000,
  },
});
