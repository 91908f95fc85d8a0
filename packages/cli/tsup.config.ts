import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { bin: 'src/bin.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  clean: true,
  sourcemap: true,
  splitting: true,
  // commander is bundled: resolving and linking its CommonJS files on every start costs more than reading one file.
  noExternal: ['commander'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __swapbenchCreateRequire } from 'node:module';\nconst require = __swapbenchCreateRequire(import.meta.url);",
  },
});
