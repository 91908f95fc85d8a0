import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', report: 'src/dashboard/report-html.ts' },
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    // Everything but the browser bundle below, which the second build writes at the same time.
    clean: ['!dashboard/**'],
    sourcemap: true,
  },
  {
    // The dashboard and the HTML report's script: plain TypeScript + uPlot, bundled for the browser (no CDN).
    entry: { app: 'dashboard-src/main.ts', report: 'dashboard-src/report/main.ts' },
    outDir: 'dist/dashboard',
    format: ['iife'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    dts: false,
    clean: true,
    sourcemap: false,
    tsconfig: 'dashboard-src/tsconfig.json',
  },
]);
