/**
 * The dashboard in real headless Chromium against `swapbench serve`'s server (token on) and a simulated
 * llama-swap: launch runs, watch them finish, read charts and verdicts, take over a busy host, set a baseline
 * from History, and stream a playground A/B. Screenshots go to a folder under the OS temp dir (printed).
 */
import { join } from 'node:path';
import { createMemoryStore, type Store } from '@swapbench/core';
import { type Simulator, startSimulator } from '@swapbench/core/simulator';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSwapbenchServer } from '../../src/index.js';
import { HAVE_CHROMIUM, launchChromium, type OpenBrowser, paintedPixels, screenshotDir } from './browser.js';

const TOKEN = 'dashboard-test-token';
const SUITE = { name: 'dash', models: ['sim-a'], promptTokens: [32, 64], maxTokens: [16], concurrency: [1, 2], repetitions: 2, warmup: 0 };

describe.skipIf(!HAVE_CHROMIUM)('dashboard in Chromium', () => {
  let store: Store;
  let sim: Simulator;
  let sim2: Simulator;
  let app: FastifyInstance;
  let chrome: OpenBrowser;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  let shots: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    store = createMemoryStore();
    sim = await startSimulator({
      mode: 'llama-swap',
      models: [{ name: 'sim-a', genTps: 300, ttftMs: 5, slots: 4, loadMs: 20 }],
    });
    // A second host for the playground's B lane: llama-swap runs one model at a time, so A/B on one such host
    // would time a swap, not two models.
    sim2 = await startSimulator({ mode: 'llama-server', models: [{ name: 'sim-b', genTps: 150, ttftMs: 10, slots: 4 }] });
    await store.hosts.put({ id: 'sim', baseUrl: sim.url, kind: 'llama-swap' });
    await store.hosts.put({ id: 'sim2', baseUrl: sim2.url, kind: 'llama-server' });
    await store.suites.put('dash', SUITE);
    app = await createSwapbenchServer({ store, auth: { token: TOKEN } });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    url = `${address}/api/bench/dashboard/`;
    shots = await screenshotDir('dashboard');
    chrome = await launchChromium();
    context = chrome.context;
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await app?.close();
    await sim?.close();
    await sim2?.close();
    await store?.close();
  });

  // A failing test leaves a picture of what the page showed.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await page.screenshot({ path: join(shots, `failed-${task.name.slice(0, 40)}.png`), fullPage: true });
  });

  /** The tests after the first skip the token form (that one tests it): the token goes where the page keeps it. */
  const signIn = async () => {
    await page.goto(url);
    await page.evaluate((token) => sessionStorage.setItem('swapbench.token', token), TOKEN);
  };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url.replace(/dashboard\/$/, '')}${path.replace(/^\//, '')}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return (await res.json()) as T;
  };

  /** Start the stored suite from the Launcher; resolves on the Results view of the finished run. */
  const launchAndFinish = async (takeover = false) => {
    await signIn();
    await page.goto(`${url}#/launcher`);
    await page.selectOption('select[name=suite]', 'dash');
    await page.click('button[name=start]');
    if (takeover) {
      await page.waitForSelector('[data-busy]');
      await page.screenshot({ path: join(shots, 'launcher-busy.png'), fullPage: true });
      await page.click('button[name=takeover]');
    }
    await page.waitForURL(/#\/live\//);
    await page.waitForURL(/#\/results\//, { timeout: 30_000 });
    await page.waitForSelector('.chart canvas');
    return decodeURIComponent(page.url().split('#/results/')[1]!);
  };

  it('asks for the token, then launches a run, watches it live and shows its charts', async () => {
    await page.goto(url);
    await page.waitForSelector('form.token-form');
    await page.fill('input[name=token]', TOKEN);
    await page.click('form.token-form button');
    await page.waitForSelector('button[name=start]');
    await page.selectOption('select[name=suite]', 'dash');
    await page.click('button[name=start]');
    await page.waitForURL(/#\/live\//);
    // The live view's counter moves before the run ends (12 requests at about 50 ms each).
    await expect.poll(() => page.textContent('.live-counts')).toMatch(/[1-9]\d* \/ 12 requests/);
    await page.screenshot({ path: join(shots, 'live.png'), fullPage: true });
    await page.waitForURL(/#\/results\//, { timeout: 30_000 });
    await page.waitForSelector('.chart canvas');
    const runId = decodeURIComponent(page.url().split('#/results/')[1]!);
    expect((await store.runs.get(runId))?.status).toBe('completed');
    // Five charts (gen tok/s and TTFT by concurrency and by prompt size, ITL distribution), each painted.
    const painted = await paintedPixels(page);
    expect(painted).toHaveLength(5);
    for (const n of painted) expect(n).toBeGreaterThan(1000);
    expect(await page.locator('table.cells tbody tr').count()).toBe(4);
    expect(await page.getAttribute('[data-verdict]', 'data-verdict')).toBe('none');
    await page.screenshot({ path: join(shots, 'results-first.png'), fullPage: true });
    // This run becomes the baseline from the Results view.
    await page.click('button[name=set-baseline]');
    await expect.poll(async () => (await store.baselines.get('dash@sim'))?.runId).toBe(runId);
    expect(pageErrors).toEqual([]);
  });

  it('a second run shows its verdicts against the baseline', async () => {
    const runId = await launchAndFinish();
    const verdict = await page.getAttribute('[data-verdict]', 'data-verdict');
    const detail = await api<{ comparison: { verdict: string; cells: { verdict: string }[] } }>(`/runs/${runId}`);
    expect(detail.comparison.verdict).not.toBeUndefined();
    // The page shows the same verdict the API computed, and one per cell in the table.
    expect(verdict).toBe(detail.comparison.verdict);
    const cellVerdicts = await page.$$eval('table.cells tbody tr td:last-child', (tds) => tds.map((td) => td.textContent));
    expect(cellVerdicts.sort()).toEqual(detail.comparison.cells.map((c) => c.verdict).sort());
    await page.screenshot({ path: join(shots, 'results-verdicts.png'), fullPage: true });
  });

  it('a host leased by another benchmark shows the holder, and offers no takeover', async () => {
    const held = await store.leases.acquire({ hostId: 'sim', holder: 'nightly job on box-2', purpose: 'bench', ttlMs: 60_000 });
    expect(held.acquired).toBe(true);
    try {
      await signIn();
      await page.goto(`${url}#/launcher`);
      await page.click('button[name=start]');
      await page.waitForSelector('[data-busy=LEASE_HELD]');
      expect(await page.textContent('[data-busy]')).toContain('Held by: nightly job on box-2');
      expect(await page.locator('button[name=takeover]').count()).toBe(0);
      await page.screenshot({ path: join(shots, 'launcher-leased.png'), fullPage: true });
    } finally {
      if (held.acquired) await store.leases.release('sim', held.lease.token);
    }
  });

  it('a busy host shows its evidence and runs only after the takeover is confirmed; polluted cells are marked', async () => {
    sim.setForeignTraffic({ requests: 1 });
    try {
      const runId = await launchAndFinish(true);
      const busyText = await store.runs.get(runId);
      expect(busyText?.polluted).toBe(true);
      expect(await page.locator('table.cells tr.polluted').count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(shots, 'results-polluted.png'), fullPage: true });
    } finally {
      sim.setForeignTraffic({ requests: 0 });
    }
  });

  it('History draws gen tok/s and TTFT over time with the baseline, flags a regression, and sets another baseline', async () => {
    // Host `sim` now points at a model half as fast: its next run is a regression against the baseline.
    const slow = await startSimulator({ mode: 'llama-swap', models: [{ name: 'sim-a', genTps: 150, ttftMs: 5, slots: 4, loadMs: 20 }] });
    let slowRun: string;
    try {
      await store.hosts.put({ id: 'sim', baseUrl: slow.url, kind: 'llama-swap' });
      slowRun = await launchAndFinish();
    } finally {
      await store.hosts.put({ id: 'sim', baseUrl: sim.url, kind: 'llama-swap' });
      await slow.close();
    }
    await page.goto(`${url}#/history`);
    await page.waitForSelector('table.history-runs');
    await page.waitForSelector('.chart canvas');
    // The concurrency-2 cell has 4 requests a side, enough for a verdict (the c1 cells' 2 are not).
    await page.selectOption('select[name=history-cell]', 'pp32 tg16 c2');
    await expect.poll(() => page.getAttribute('table.history-runs tr.v-regression a', 'href')).toBe(`#/results/${slowRun}`);
    const painted = await paintedPixels(page);
    expect(painted).toHaveLength(2);
    for (const n of painted) expect(n).toBeGreaterThan(1000);
    // Three series per chart: the metric, the baseline, regressions.
    expect(await page.locator('.chart').first().locator('.u-legend .u-series').count()).toBe(4);
    await page.screenshot({ path: join(shots, 'history.png'), fullPage: true });
    const before = (await store.baselines.get('dash@sim'))?.runId;
    const target = await page.getAttribute('button[name=history-set-baseline]', 'data-run');
    expect(target).not.toBe(before);
    await page.click(`button[name=history-set-baseline][data-run="${target}"]`);
    await expect.poll(async () => (await store.baselines.get('dash@sim'))?.runId).toBe(target);
  });

  it('the playground streams two models side by side with live TTFT and tok/s', async () => {
    await signIn();
    await page.goto(`${url}#/playground`);
    await page.waitForSelector('select[name=model-a] option', { state: 'attached' });
    await page.check('input[name=ab]');
    await page.selectOption('select[name=host-b]', 'sim2');
    await expect.poll(() => page.inputValue('select[name=model-b]')).toBe('sim-b');
    await page.fill('input[name=max-tokens]', '24');
    await page.click('button[name=send]');
    // Ends with `done`, or with the error the page shows.
    await expect.poll(() => page.textContent('.playground-status'), { timeout: 15_000 }).not.toBe('streaming…');
    expect(await page.textContent('.playground-status')).toBe('done');
    // Each lane's live tok/s, measured in the browser through the relay, is near its simulator's speed.
    for (const [lane, genTps] of [
      ['a', 300],
      ['b', 150],
    ] as const) {
      expect((await page.textContent(`[data-lane-text=${lane}]`))?.length).toBeGreaterThan(0);
      const figures = (await page.textContent(`[data-lane-figures=${lane}]`)) ?? '';
      const match = /TTFT (\d[\d,]*) ms · (\d[\d,.]*) tok\/s · 24 tokens/.exec(figures);
      expect(match, figures).not.toBeNull();
      const tps = Number(match![2]!.replace(/,/g, ''));
      expect(tps).toBeGreaterThan(genTps * 0.5);
      expect(tps).toBeLessThan(genTps * 2);
    }
    await page.screenshot({ path: join(shots, 'playground-ab.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a suite edited in the Launcher runs, and Cancel stops it with what it measured', async () => {
    await signIn();
    await page.goto(`${url}#/launcher`);
    await page.selectOption('select[name=suite]', '');
    // About 13 s of work at 300 tok/s: long enough to cancel in the middle.
    const long = { name: 'long', models: ['sim-a'], promptTokens: [32], maxTokens: [200], concurrency: [1], repetitions: 20, warmup: 0 };
    await page.fill('textarea[name=suite-json]', JSON.stringify(long));
    await page.click('button[name=start]');
    await page.waitForURL(/#\/live\//);
    const runId = decodeURIComponent(page.url().split('#/live/')[1]!);
    await expect.poll(() => page.textContent('.live-counts')).toMatch(/[1-9]\d* \/ 20 requests/);
    await page.click('button[name=cancel]');
    await page.waitForURL(/#\/results\//, { timeout: 15_000 });
    const stored = await store.runs.get(runId);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.suite.name).toBe('long');
    expect(await page.textContent('.run-head h2')).toBe('long — cancelled');
    await page.screenshot({ path: join(shots, 'results-cancelled.png'), fullPage: true });
  });

  it('the playground says why a host cannot list its models, instead of an empty model list', async () => {
    // A port nothing listens on (the simulator's, once closed): its models cannot be listed.
    const gone = await startSimulator({ mode: 'llama-server', models: [{ name: 'gone' }] });
    await gone.close();
    await store.hosts.put({ id: 'dead', baseUrl: gone.url });
    const errorsBefore = pageErrors.length;
    try {
      await signIn();
      await page.goto(`${url}#/playground`);
      // `dead` sorts first, so the page may open on it already; choosing it again asks again.
      await page.waitForSelector('select[name=host-a] option[value=dead]', { state: 'attached' });
      await page.selectOption('select[name=host-a]', 'dead');
      await page.waitForSelector('[data-lane-text=a] .error');
      expect(await page.textContent('[data-lane-text=a] .error')).toMatch(/^models of dead: cannot reach /);
      expect(await page.locator('select[name=model-a] option').count()).toBe(0);
      await page.screenshot({ path: join(shots, 'playground-unreachable.png'), fullPage: true });
      // Back on a host that answers, its models return and the message goes.
      await page.selectOption('select[name=host-a]', 'sim');
      await page.waitForSelector('select[name=model-a] option', { state: 'attached' });
      expect(await page.locator('[data-lane-text=a] .error').count()).toBe(0);
      expect(pageErrors.slice(errorsBefore)).toEqual([]);
    } finally {
      await store.hosts.remove('dead');
    }
  });

  it('Set as baseline on a polluted run asks first, and sets it only once confirmed', async () => {
    const before = await store.baselines.get('dash@sim');
    const { items } = await store.runs.list({ status: 'completed', suiteName: 'dash', limit: 1 });
    const clean = (await store.runs.get(items[0]!.runId))!;
    await store.runs.create({ ...clean, runId: 'polluted-for-baseline', polluted: true });
    try {
      await signIn();
      await page.goto(`${url}#/results/polluted-for-baseline`);
      await page.waitForSelector('button[name=set-baseline]');
      const asked: string[] = [];
      // Declined: nothing changes.
      page.once('dialog', (dialog) => {
        asked.push(dialog.message());
        void dialog.dismiss();
      });
      await page.click('button[name=set-baseline]');
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toMatch(/was polluted/);
      expect((await store.baselines.get('dash@sim'))?.runId).toBe(before?.runId);
      // Confirmed: set with force.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('button[name=set-baseline]');
      await expect.poll(async () => (await store.baselines.get('dash@sim'))?.runId).toBe('polluted-for-baseline');
    } finally {
      if (before) await store.baselines.set('dash@sim', before.runId);
    }
  });
});

it.skipIf(HAVE_CHROMIUM)('browser tests skipped: no Chromium here', () => {
  expect(HAVE_CHROMIUM).toBe(false);
});
