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

/**
 * `--baseline auto` finds the baseline of the same server under whichever of its names it was stored:
 * `<suite>@host:port` before a name was registered for the URL, `<suite>@<name>` before the URL stopped
 * taking that name (a second host registered at it). Each test has a suite of its own and simulators of its
 * own, kept until the end so no later simulator takes a port a registered name points at.
 */
describe('run --baseline auto under another name of the same server', () => {
  const sims: Simulator[] = [];
  const simulator = async (seed: number, options: { port?: number; genTps?: number } = {}) => {
    const sim = await startSimulator({
      mode: 'llama-server',
      seed,
      ...(options.port === undefined ? {} : { port: options.port }),
      models: [{ ...MODEL, genTps: options.genTps ?? MODEL.genTps }],
    });
    sims.push(sim);
    return sim;
  };
  const suiteNamed = async (name: string) => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      `name: ${name}\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [16]\nconcurrency: [1, 2]\nrepetitions: 4\nwarmup: 1\n`,
    );
    return file;
  };
  const hostPort = (sim: Simulator) => sim.url.replace(/^http:\/\//, '');
  const runJson = async (args: string[], code = 0) => {
    const res = await cli([...args, '--json']);
    expect(res.code, res.stderr).toBe(code);
    return { out: JSON.parse(res.stdout) as RunResult & { comparison: CompareResult | null }, stderr: res.stderr };
  };

  afterAll(async () => {
    for (const sim of sims) await sim.close();
  });

  it('compares with the baseline stored under host:port after a name is registered for that URL, and fails on a regression', async () => {
    const file = await suiteNamed('renamed');
    const before = await simulator(3);
    const { out: base } = await runJson(['run', file, '--host', before.url]);
    const oldName = `renamed@${hostPort(before)}`;
    expect((await cli(['baseline', 'set', base.runId.slice(0, 8)])).stdout).toBe(`baseline ${oldName} → run ${base.runId}\n`);
    expect((await cli(['hosts', 'add', 'renamed-box', before.url, '--kind', 'llama-server'])).code).toBe(0);
    // The same server after an update that made generation 20% slower: same URL, so same host:port.
    await before.close();
    sims.splice(sims.indexOf(before), 1);
    const after = await simulator(4, { port: before.port, genTps: 200 });

    const { out, stderr } = await runJson(['run', file, '--host', after.url, '--baseline', 'auto', '--fail-on-regression'], 1);
    expect(out.host.id).toBe('renamed-box');
    expect(out.comparison?.baseline.runId).toBe(base.runId);
    expect(stderr).toContain(
      `swapbench: compared with baseline "${oldName}" (run ${base.runId}), stored under another name of this server (this run's is "renamed@renamed-box")\n`,
    );
    expect(stderr).toMatch(/regression against baseline run/);
    const byName = await runJson(['run', file, '--host', 'renamed-box', '--baseline', 'auto']);
    expect(byName.out.comparison?.baseline.runId).toBe(base.runId);

    // The stored name stays as it was, and `runs` judges the later runs against it too.
    const list = JSON.parse((await cli(['baseline', 'list', '--json'])).stdout) as { name: string; runId: string }[];
    expect(list.filter((b) => b.name.startsWith('renamed@'))).toMatchObject([{ name: oldName, runId: base.runId }]);
    const rows = (await cli(['runs', '--suite', 'renamed'])).stdout.split('\n');
    expect(rows.find((l) => l.includes(out.runId.slice(0, 8)))).toMatch(/REGRESSION/);
  }, 60_000);

  it('compares with the baseline stored under a registered name once the URL no longer takes that name, preferring the own name', async () => {
    const file = await suiteNamed('shared');
    const sim = await simulator(5);
    expect((await cli(['hosts', 'add', 'gpu', sim.url])).code).toBe(0);
    const { out: base } = await runJson(['run', file, '--host', 'gpu']);
    expect((await cli(['baseline', 'set', base.runId])).stdout).toBe(`baseline shared@gpu → run ${base.runId}\n`);
    // A second name for the same URL: a bare URL no longer takes either, and its runs are named host:port.
    expect((await cli(['hosts', 'add', 'gpu-too', sim.url])).code).toBe(0);
    const urlName = `shared@${hostPort(sim)}`;

    const bare = await runJson(['run', file, '--host', sim.url, '--baseline', 'auto', '--fail-on-regression']);
    expect(bare.out.host.id).toBeUndefined();
    expect(bare.out.comparison?.baseline.runId).toBe(base.runId);
    expect(bare.stderr).toContain(
      `swapbench: compared with baseline "shared@gpu" (run ${base.runId}), stored under another name of this server (this run's is "${urlName}")\n`,
    );
    const other = await runJson(['run', file, '--host', 'gpu-too', '--baseline', 'auto']);
    expect(other.out.comparison?.baseline.runId).toBe(base.runId);

    // Two baselines for one server: the one under the run's own name wins, and the note names the other.
    expect((await cli(['baseline', 'set', bare.out.runId])).stdout).toBe(`baseline ${urlName} → run ${bare.out.runId}\n`);
    const own = await runJson(['run', file, '--host', sim.url, '--baseline', 'auto']);
    expect(own.out.comparison?.baseline.runId).toBe(bare.out.runId);
    expect(own.stderr).toContain(
      `swapbench: compared with baseline "${urlName}" (run ${bare.out.runId}), under this run's own name; also stored for this server, not used: "shared@gpu" (run ${base.runId})\n`,
    );
    // Neither under the run's own name: the most recently set.
    const newest = await runJson(['run', file, '--host', 'gpu', '--baseline', 'auto']);
    expect(newest.out.comparison?.baseline.runId).toBe(base.runId);
    const neither = await runJson(['run', file, '--host', 'gpu-too', '--baseline', 'auto']);
    expect(neither.out.comparison?.baseline.runId).toBe(bare.out.runId);
    expect(neither.stderr).toContain(
      `swapbench: compared with baseline "${urlName}" (run ${bare.out.runId}), stored under another name of this server (this run's is "shared@gpu-too"), the most recently set; also stored for this server, not used: "shared@gpu" (run ${base.runId})\n`,
    );
  }, 60_000);

  it('does not take the baseline of a name that measured another server then', async () => {
    const file = await suiteNamed('moved');
    const [old, now] = [await simulator(6), await simulator(7)];
    expect((await cli(['hosts', 'add', 'mover', old.url])).code).toBe(0);
    const { out: base } = await runJson(['run', file, '--host', 'mover']);
    expect((await cli(['baseline', 'set', base.runId])).stdout).toBe(`baseline moved@mover → run ${base.runId}\n`);
    // `mover` now points at another server, which a second name shares: a bare URL run is named host:port.
    expect((await cli(['hosts', 'add', 'mover', now.url])).code).toBe(0);
    expect((await cli(['hosts', 'add', 'mover-too', now.url])).code).toBe(0);
    const { out, stderr } = await runJson(['run', file, '--host', now.url, '--baseline', 'auto', '--fail-on-regression']);
    expect(out.comparison).toBeNull();
    expect(stderr).toContain(`swapbench: no baseline "moved@${hostPort(now)}" yet`);
  }, 60_000);
});
