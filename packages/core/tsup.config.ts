import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'transports/llama': 'src/transport/llama/index.ts',
    simulator: 'src/simulator/index.ts',
    testing: 'src/testing/index.ts',
    errors: 'src/errors/index.ts',
    stores: 'src/store/open-store.ts',
    'stores/sqlite': 'src/store/sqlite/index.ts',
    'stores/file': 'src/store/file/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
