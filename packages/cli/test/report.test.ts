/**
 * `swapbench report` through the built CLI: a baseline run on one simulator, a candidate on one 30% slower at
 * generation, and the HTML report of the candidate opened in headless Chromium from a file:// URL with the
 * network cut. Without Chromium the browser half skips with a message (fails in CI: `.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompareResult, RunResult } from '@swapbench/core';
import { type Simulator, startSimulator } from '@swapbench/core/simulator';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

/** The part of a canvas element the pixel count reads (the tests' tsconfig has no DOM types). */
type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};

const CHROMIUM = process.env.SWAPBENCH_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  const message = `no Chromium at ${CHROMIUM} (apt-get install -y chromium): the report's browser test cannot run`;
  if (process.env.CI) throw new Error(message);
  console.warn(`${message}; skipped`);
}

let dir: string;
let store: string;
let fast: Simulator;
let slow: Simulator;
let base: RunResult;
let cand: RunResult;
const cli = (args: string[]) => runCli(args, { env: { SWAPBENCH_STORE: store } });
const MODEL = { name: 'tiny', genTps: 250, ttftMs: 20, promptTps: 20_000, slots: 2, loadMs: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-report-'));
  store = `sqlite:${join(dir, 'history.db')}`;
  const suite = join(dir, 's.yaml');
  await writeFile(
    suite,
    'name: nightly\nmodels: [tiny]\npromptTokens: [32, 64]\nmaxTokens: [16]\nconcurrency: [1, 2]\nrepetitions: 4\nwarmup: 1\n',
  );
  fast = await startSimulator({ mode: 'llama-server', seed: 1, models: [MODEL] });
  slow = await startSimulator({ mode: 'llama-server', seed: 2, models: [{ ...MODEL, genTps: 175 }] });
  const runOn = async (url: string) => {
    const run = await cli(['run', suite, '--host', url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as RunResult;
  };
  base = await runOn(fast.url);
  cand = await runOn(slow.url);
}, 90_000);

afterAll(async () => {
  await fast?.close();
  await slow?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('swapbench report', () => {
  it('writes one HTML file holding its script, styles and data, and nothing it would fetch', async () => {
    const out = join(dir, 'report.html');
    const res = await cli(['report', cand.runId.slice(0, 8), '--baseline', base.runId, '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`report of run ${cand.runId} written to .*report\\.html \\(\\d+ KB, regression against`));
    const html = await readFile(out, 'utf8');
    expect(html).toContain(cand.runId);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=(?!"data:)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('names what is wrong: an unknown run, a missing --out, an unwritable --out', async () => {
    const unknown = await cli(['report', 'ffffffff', '--out', join(dir, 'x.html')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('run ffffffff not found');
    const noOut = await cli(['report', cand.runId]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("required option '--out <file>' not specified");
    const badOut = await cli(['report', cand.runId, '--out', join(dir, 'missing-dir', 'r.html')]);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toMatch(/--out: cannot write .*missing-dir.*ENOENT/);
  });

  it('names --baseline when it is neither a baseline nor a run, and refuses an empty --out', async () => {
    const out = join(dir, 'never.html');
    const unknown = await cli(['report', cand.runId, '--baseline', 'nightly@nowhere', '--out', out]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/--baseline: no baseline or run named "nightly@nowhere" in sqlite:/);
    expect(existsSync(out)).toBe(false);
    const empty = await cli(['report', cand.runId, '--out', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--out: is empty: give the HTML file to write');
  });

  it.skipIf(!HAVE_CHROMIUM)('opens offline from file:// in Chromium and shows its charts and verdicts', async () => {
    const out = join(dir, 'offline.html');
    expect((await cli(['report', cand.runId, '--baseline', base.runId, '--out', out])).code).toBe(0);
    const compare = await cli(['compare', base.runId, cand.runId, '--json']);
    const comparison = JSON.parse(compare.stdout) as CompareResult;
    const shots = join(tmpdir(), 'swapbench-screenshots', 'report');
    await mkdir(shots, { recursive: true });
    console.info(`screenshots: ${shots}`);
    const profile = await mkdtemp(join(tmpdir(), 'swapbench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      offline: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      // Whatever the page asks for beyond its own file is recorded and refused.
      const fetched: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        fetched.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(pathToFileURL(out).href);
      await page.waitForSelector('.chart canvas');
      const painted = await page.$$eval('.chart canvas', (canvases) =>
        canvases.map((canvas) => {
          const c = canvas as unknown as Canvas;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
          return n;
        }),
      );
      expect(painted).toHaveLength(5);
      for (const n of painted) expect(n).toBeGreaterThan(1000);
      expect(await page.getAttribute('[data-verdict]', 'data-verdict')).toBe(comparison.verdict);
      expect(await page.locator('table.cells tbody tr').count()).toBe(cand.cells.length);
      await page.screenshot({ path: join(shots, 'report-offline.png'), fullPage: true });
      expect(fetched).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
