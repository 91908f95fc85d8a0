/**
 * `swapbench runner` and `run --runners N` (issue #21): bad input is refused in one line naming the flag;
 * with a real PostgreSQL server (SWAPBENCH_TEST_POSTGRES), a `runner` process takes a run's cell from the
 * queue, the run completes with every sample, and the runner stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { type Simulator, startSimulator } from '@swapbench/core/simulator';
import { dropSchema, uniqueSchema, withPostgres } from '../../core/test/store/postgres-harness.js';
import { BIN, runCli } from './run-cli.js';

let dir: string;
let suite: string;
let sim: Simulator;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-cli-runner-'));
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 3,
    models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 4, loadMs: 0 }],
  });
  suite = join(dir, 's.yaml');
  await writeFile(suite, 'name: remote\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [2]\nrepetitions: 3\nwarmup: 0\n');
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('swapbench runner: bad input', () => {
  it('refuses a store that is not postgres://, naming --store', async () => {
    const out = await runCli(['runner', '--store', `sqlite:${join(dir, 'x.db')}`], { env: { SWAPBENCH_STORE: '' } });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--store: must be a postgres:\/\/ URI/);
  });

  it('refuses run --runners without a postgres:// store, naming --runners', async () => {
    const out = await runCli(['run', suite, '--host', sim.url, '--runners', '2', '--store', `sqlite:${join(dir, 'y.db')}`]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--runners: needs a postgres:\/\/ --store/);
  });

  it('names the suite file’s runners field, not --runners, when the file asked for runners', async () => {
    const file = join(dir, 'with-runners.yaml');
    await writeFile(file, 'name: remote\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [2]\nrunners: 2\n');
    const out = await runCli(['run', file, '--host', sim.url, '--store', 'memory:']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^swapbench: runners: needs a postgres:\/\/ --store/m);
  });

  it('refuses --runners out of range', async () => {
    const out = await runCli(['run', suite, '--host', sim.url, '--runners', '65', '--store', 'memory:']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--runners/);
  });
});

withPostgres('swapbench runner with a Postgres store', (url) => {
  const schema = uniqueSchema('clirunner');
  const store = new URL(url);
  store.searchParams.set('schema', schema);
  afterAll(async () => {
    await dropSchema(url, schema);
  });

  it('works a run’s cell posted with run --runners 1, then stops on SIGTERM', async () => {
    // The store's tables first (as a team's first run would make them), then the runner beside them.
    const init = await runCli(['runs', '--store', store.toString(), '--json']);
    expect(init.code, init.stderr).toBe(0);
    const runner = spawn(process.execPath, [BIN, 'runner', '--store', store.toString(), '--name', 'cli-r1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    runner.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      await expect.poll(() => log, { timeout: 20_000 }).toMatch(/runner cli-r1 is working queue swapbench-cell-share/);
      expect(log).not.toContain(store.password);
      const run = await runCli(['run', suite, '--host', sim.url, '--runners', '1', '--store', store.toString(), '--json']);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as RunResult;
      expect(result.cells[0]!.n).toBe(6);
      expect(result.cells[0]!.partial).toBe(false);
      expect(result.notes.join('\n')).toContain('run by one runner share (cli-r1)');
      expect(log).toMatch(/runner cli-r1: share 1\/1 of run .* done, 6 sent/);
    } finally {
      runner.kill('SIGTERM');
    }
    const [code] = await once(runner, 'exit');
    expect(code).toBe(0);
  }, 90_000);
});
