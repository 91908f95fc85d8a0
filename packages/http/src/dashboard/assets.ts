/** Where the browser bundle lives: `dist/dashboard/`, built by tsup from `dashboard-src/`. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The folder of the bundle: beside the built module, or, run from source (tests), in the package's dist. */
export function dashboardDir(): string {
  const candidates = [new URL('./dashboard/', import.meta.url), new URL('../../dist/dashboard/', import.meta.url)];
  for (const url of candidates) if (existsSync(new URL('app.global.js', url))) return fileURLToPath(url);
  throw new Error(
    `@swapbench/http: the dashboard bundle is missing (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')}); build the package`,
  );
}

/** One file of the bundle, as text. */
export function readAsset(name: string): Promise<string> {
  return readFile(`${dashboardDir()}${name}`, 'utf8');
}
