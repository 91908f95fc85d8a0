import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'transports/llama': 'src/transport/llama/index.ts',
    'transports/ollama': 'src/transport/ollama/index.ts',
    simulator: 'src/simulator/index.ts',
    testing: 'src/testing/index.ts',
    errors: 'src/errors/index.ts',
    stores: 'src/store/open-store.ts',
    'stores/sqlite': 'src/store/sqlite/index.ts',
    'stores/file': 'src/store/file/index.ts',
    'stores/postgres': 'src/store/postgres/index.ts',
    // Issue #21: the engine's worker-thread script (not an export; the engine starts it by path).
    'engine-worker': 'src/engine/workers/worker-entry.ts',
    // Issue #21 (runners on several machines): its own entry, so only its users load pg-boss.
    runners: 'src/engine/runners/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
