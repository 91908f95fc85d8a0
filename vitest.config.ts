import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every package that has a vitest.config.ts is a project.
    projects: ['packages/*/vitest.config.ts', 'bench/vitest.config.ts'],
  },
});
