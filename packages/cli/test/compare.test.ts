import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult, RunResult } from '@swapbench/core';
import { type Simulator, startSimulator } from '@swapbench/core/simulator';
import { runCli } from './run-cli.js';

/**
 * Baselines and comparisons through the built CLI on a SQLite store in a temp folder: a baseline run on one
 * simulator, a candidate on a simulator 20% slower at generation, both through the registered host `box`.
 */
let dir: string;
let store: string;
let suite: string;
let fast: Simulator;
let slow: Simulator;
let baseRun: RunResult;

const cli = (args: string[]) => runCli(args, { env: { SWAPBENCH_STORE: store } });
const MODEL = { name: 'tiny', genTps: 250, ttftMs: 20, promptTps: 20_000, slots: 2, loadMs: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-compare-'));
  store = `sqlite:${join(dir, 'history.db')}`;
  suite = join(dir, 's.yaml');
  await writeFile(
    suite,
    'name: nightly\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [16]\nconcurrency: [1, 2]\nrepetitions: 4\nwarmup: 1\n',
  );
  fast = await startSimulator({ mode: 'llama-server', seed: 1, models: [MODEL] });
  slow = await startSimulator({ mode: 'llama-server', seed: 2, models: [{ ...MODEL, genTps: 200 }] });
  expect((await cli(['hosts', 'add', 'box', fast.url])).code).toBe(0);
  const run = await cli(['run', suite, '--host', 'box', '--json']);
  expect(run.code, run.stderr).toBe(0);
  baseRun = JSON.parse(run.stdout) as RunResult;
}, 60_000);

afterAll(async () => {
  await fast?.close();
  await slow?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('swapbench baseline and compare', () => {
  it('sets a baseline named after the host and suite, lists it and clears it', async () => {
    const set = await cli(['baseline', 'set', baseRun.runId.slice(0, 8)]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`baseline nightly@box → run ${baseRun.runId}\n`);
    const list = await cli(['baseline', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'nightly@box', runId: baseRun.runId }]);
    const extra = await cli(['baseline', 'set', baseRun.runId, '--name', 'extra']);
    expect(extra.code).toBe(0);
    expect((await cli(['baseline', 'clear', 'extra'])).stdout).toBe('baseline extra cleared\n');
    const again = await cli(['baseline', 'clear', 'extra']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no baseline named "extra"/);
  });

  it('run --baseline auto --fail-on-regression exits 1 on a 20% slower server, and compare says why', async () => {
    expect((await cli(['hosts', 'add', 'box', slow.url])).code).toBe(0);
    const run = await cli(['run', suite, '--host', 'box', '--baseline', 'auto', '--fail-on-regression', '--json']);
    expect(run.code, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as RunResult & { comparison: CompareResult };
    expect(out.status).toBe('completed');
    expect(out.comparison.baseline.runId).toBe(baseRun.runId);
    expect(out.comparison.cells.map((c) => c.metrics.find((m) => m.metric === 'genTps')!.verdict)).toEqual(['regression', 'regression']);
    expect(run.stderr).toMatch(/regression against baseline run/);

    const md = await cli(['compare', 'nightly@box', out.runId, '--format', 'md']);
    expect(md.code).toBe(1);
    expect(md.stdout).toMatch(/^verdict: REGRESSION/m);
    expect(md.stdout).toMatch(/^\| tiny pp32 tg16 c1 \| gen t\/s \| \d+\.?\d* \| \d+\.?\d* \| -\d+\.\d% \|.*\*\*regression\*\*/m);

    const same = await cli(['compare', baseRun.runId, baseRun.runId, '--json']);
    expect(same.code).toBe(0);
    expect((JSON.parse(same.stdout) as CompareResult).counts.regression).toBe(0);

    const runs = await cli(['runs']);
    const rows = runs.stdout.split('\n');
    expect(rows.find((l) => l.includes(out.runId.slice(0, 8)))).toMatch(/REGRESSION/);
    expect(rows.find((l) => l.includes(baseRun.runId.slice(0, 8)))).toMatch(/\bbase\b/);
    for (const line of rows) expect(line.length).toBeLessThanOrEqual(120);
  }, 60_000);

  it('refuses a run whose client was saturated as a baseline unless --force, and an unknown run to compare', async () => {
    const { openStore } = await import('@swapbench/core/stores');
    const s = await openStore(store);
    const run = (await s.runs.get(baseRun.runId))!;
    await s.runs.create({ ...run, runId: 'saturated-run', status: 'running' });
    await s.runs.finish({ ...run, runId: 'saturated-run', client: { ...run.client, clientSaturated: true } });
    await s.close();
    const refused = await cli(['baseline', 'set', 'saturated-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/saturated-run is not a trustworthy baseline: its client was saturated .*--force/);
    const forced = await cli(['baseline', 'set', 'saturated-run', '--force', '--name', 'forced']);
    expect(forced.stdout).toMatch(/forced: its client was saturated/);
    const missing = await cli(['compare', 'nope', baseRun.runId]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run nope not found/);
  });
});
