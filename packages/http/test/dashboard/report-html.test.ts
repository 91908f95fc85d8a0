/**
 * `renderReportHtml` on a real run against the simulator: text that a server controls (its error messages)
 * stays text in the page, whatever markup it holds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CompareResult,
  compareRuns,
  createMemoryStore,
  parseSuite,
  type RunResult,
  runBenchSuite,
  type Sample,
} from '@swapbench/core';
import { startSimulator } from '@swapbench/core/simulator';
import { connectLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inlineJson, renderReportHtml } from '../../src/dashboard/report-html.js';
import { HAVE_CHROMIUM, launchChromium } from './browser.js';

const HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> \u2028 <!--';
let run: RunResult;
/** `run` compared with a run of another cell (c2): no cell is in both. */
let disjoint: CompareResult;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-report-html-'));
  const sim = await startSimulator({ mode: 'llama-server', models: [{ name: 'm', genTps: 400, ttftMs: 5 }] });
  const store = createMemoryStore();
  const transport = await connectLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
  try {
    const suite = parseSuite({
      name: 'xss',
      models: ['m'],
      promptTokens: [16],
      maxTokens: [8],
      concurrency: [1],
      repetitions: 3,
      warmup: 0,
    });
    run = await runBenchSuite(suite, { transport, store });
    const other = await runBenchSuite({ ...suite, concurrency: [2] }, { transport, store });
    const samples = async (id: string): Promise<Sample[]> => {
      const out: Sample[] = [];
      for await (const s of store.runs.samples(id)) out.push(s);
      return out;
    };
    disjoint = compareRuns({ run: other, samples: await samples(other.runId) }, { run, samples: await samples(run.runId) });
  } finally {
    await transport.close();
    await sim.close();
    await store.close();
  }
  // As a server's error message would arrive in a failed sample's summary.
  run.errors = [{ code: 'HTTP_STATUS', status: 500, message: HOSTILE, count: 1, cells: [run.cells[0]!] }];
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('inline JSON cannot end its script element', () => {
  const text = inlineJson({ message: HOSTILE });
  expect(text).not.toMatch(/<\/script|<!--|\u2028/i);
  expect(JSON.parse(text)).toEqual({ message: HOSTILE });
});

it.skipIf(!HAVE_CHROMIUM)('a server message full of markup shows as text, and nothing in it runs', async () => {
  const file = join(dir, 'report.html');
  await writeFile(file, await renderReportHtml({ run, comparison: null, baseline: null }));
  const chrome = await launchChromium({ offline: true });
  try {
    const page = await chrome.context.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.chart canvas');
    expect(await page.textContent('.errors .server-message')).toBe(HOSTILE);
    // The cells an error hit are named as the cells table names them, not by an internal key.
    expect(await page.textContent('.errors li .muted')).toBe('cells: m pp16 tg8 c1');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
  } finally {
    await chrome.close();
  }
});

it.skipIf(!HAVE_CHROMIUM)('against a baseline with no cell in common, the verdicts say nothing was compared', async () => {
  expect(disjoint.cells).toHaveLength(0);
  const file = join(dir, 'disjoint.html');
  await writeFile(file, await renderReportHtml({ run, comparison: disjoint, baseline: { name: 'other', runId: disjoint.baseline.runId } }));
  const chrome = await launchChromium({ offline: true });
  try {
    const page = await chrome.context.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.chart canvas');
    // The page's paragraphs: not the inline scripts, whose text holds every message the page can show.
    const text = await page.$$eval('p', (ps) => ps.map((p) => p.textContent).join('\n'));
    expect(text).toContain('No cell is in both runs: nothing was compared.');
    expect(text).not.toContain('Every metric of every cell is unchanged.');
    // Cells named as the cells table names them, not by an internal key.
    expect(text).toContain('only in this run: m pp16 tg8 c1');
    expect(text).toContain('only in the baseline: m pp16 tg8 c2');
  } finally {
    await chrome.close();
  }
});
