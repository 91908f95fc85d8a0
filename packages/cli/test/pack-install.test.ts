/**
 * The packages as npm users get them: `pnpm pack` the CLI and every workspace package it depends on, `npm install`
 * the tarballs into an empty folder together with the oldest Node that `engines` allows (the npm package `node`
 * ships the binary), and run the installed CLI there, on that Node and on the pinned one. Needs the npm registry.
 * The packages are built already: `pnpm test` builds before it runs vitest.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const cliManifest = readManifest(join(PACKAGES, 'cli'));
// The oldest Node we claim: `engines` says ">=22.13", so CI proves exactly 22.13.0.
const OLDEST_NODE = `${/^>=\s*(\d+\.\d+)$/.exec(cliManifest.engines.node)?.[1]}.0`;

interface Manifest {
  name: string;
  version: string;
  engines: { node: string };
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The folders of the CLI and of every workspace package it depends on, directly or not. */
function workspaceClosure(): string[] {
  const dirByName = new Map(readdirSync(PACKAGES).map((d) => [readManifest(join(PACKAGES, d)).name, join(PACKAGES, d)]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    const dir = dirByName.get(name);
    if (!dir || seen.has(dir)) return;
    seen.add(dir);
    for (const [dep, range] of Object.entries(readManifest(dir).dependencies ?? {})) if (range.startsWith('workspace:')) visit(dep);
  };
  visit(cliManifest.name);
  return [...seen];
}

/** Run a command to completion; a non-zero exit fails with its output, so a broken step says what broke. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  // All of a tarball's source maps are read through stdout (several MB for core): past the 1 MB default buffer.
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? cleanEnv(),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 240_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) {
    const hint =
      (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (not on PATH; run the tests through \`npx -y pnpm@12 test\`)` : '';
    throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}${hint}`);
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// pnpm's own npm_config_* variables would change how npm installs (they came from the pnpm running the tests).
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k)));
  return { ...env, NO_COLOR: '1' };
}

/** The `--json` result on stdout; anything else fails with the output, stderr included. */
function parseResult(r: { stdout: string; stderr: string }) {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON result:\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr.slice(-2000)}`);
  }
}

let work: string;
let app: string;
const tarballs: string[] = [];

describe('packed tarballs installed with npm', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'swapbench-pack-'));
    const packs = join(work, 'packs');
    app = join(work, 'app');
    mkdirSync(packs);
    mkdirSync(app);
    for (const dir of workspaceClosure()) {
      // `pnpm` is on PATH when the tests run through pnpm (`npx -y pnpm@12 test`).
      const out = run('pnpm', ['pack', '--json', '--pack-destination', packs], { cwd: dir, env: process.env });
      tarballs.push(JSON.parse(out.stdout).filename);
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-install-app', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, `node@${OLDEST_NODE}`], { cwd: app, timeoutMs: 300_000 });
  }, 360_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('each tarball has README.md, LICENSE and a package.json with no workspace: ranges', () => {
    expect(tarballs.length).toBeGreaterThanOrEqual(2);
    for (const tgz of tarballs) {
      const files = run('tar', ['-tzf', tgz], { cwd: work }).stdout.split('\n');
      expect(files, tgz).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json']));
      const manifest = run('tar', ['-xzOf', tgz, 'package/package.json'], { cwd: work }).stdout;
      expect(manifest, tgz).not.toContain('workspace:');
      expect(JSON.parse(manifest).repository?.directory, tgz).toMatch(/^packages\//);
      // Only what users run: no tests, sources or fixtures; source maps name sources relatively, never by
      // the path of the machine that packed them.
      const shipped = files.filter((f) => f !== '');
      expect(
        shipped.filter((f) => !/^package\/(README\.md|LICENSE|package\.json|dist\/.+)$/.test(f) || /\.test\.|\/test\//.test(f)),
        tgz,
      ).toEqual([]);
      const maps = run('tar', ['-xzOf', tgz, '--wildcards', 'package/dist/*.map'], { cwd: work }).stdout;
      expect(maps.includes(PACKAGES), tgz).toBe(false);
    }
  });

  it(`npx swapbench --version prints the version on Node ${OLDEST_NODE}`, () => {
    const r = run('npx', ['--no-install', 'swapbench', '--version'], { cwd: app });
    expect(r.stdout.trim()).toBe(cliManifest.version);
  });

  it(`npx swapbench demo --json completes on Node ${OLDEST_NODE}, the oldest engines allows`, () => {
    const r = run('npx', ['--no-install', 'swapbench', 'demo', '--json', '--store', 'memory:'], { cwd: app });
    const result = parseResult(r);
    expect(result.status).toBe('completed');
    expect(result.environment.client.node).toBe(`v${OLDEST_NODE}`);
    expect(result.cells.length).toBeGreaterThan(0);
    expect(result.cells.every((c: { errors: number }) => c.errors === 0)).toBe(true);
  });

  it(`the SQLite store (node:sqlite) works on Node ${OLDEST_NODE}`, () => {
    const store = `sqlite:${join(work, 'runs.db')}`;
    const r = run('npx', ['--no-install', 'swapbench', 'demo', '--json', '--store', store], { cwd: app });
    expect(parseResult(r)).toMatchObject({ status: 'completed', environment: { client: { node: `v${OLDEST_NODE}` } } });
  });

  it('the installed demo completes on the pinned Node too', () => {
    const bin = join(app, 'node_modules', 'swapbench', 'dist', 'bin.js');
    const r = run(process.execPath, [bin, 'demo', '--json', '--store', 'memory:'], { cwd: app });
    expect(parseResult(r)).toMatchObject({ status: 'completed', environment: { client: { node: process.version } } });
  });
});
