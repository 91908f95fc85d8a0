/**
 * `--store postgres://…` end to end: `swapbench run` against the simulator keeps the run in a real
 * PostgreSQL server (SWAPBENCH_TEST_POSTGRES, see packages/core/test/store/postgres-harness.ts), `swapbench
 * runs` lists it from another process, and no output ever shows the password.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { type Simulator, startSimulator } from '@swapbench/core/simulator';
import { dropSchema, uniqueSchema, withPostgres } from '../../core/test/store/postgres-harness.js';
import { runCli } from './run-cli.js';

withPostgres('swapbench with a Postgres store', (url) => {
  const schema = uniqueSchema('cli');
  const store = new URL(url);
  store.searchParams.set('schema', schema);
  let sim: Simulator;
  let dir: string;
  let suite: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swapbench-cli-pg-'));
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 3,
      models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 1, loadMs: 0 }],
    });
    suite = join(dir, 's.yaml');
    await writeFile(suite, 'name: team\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 2\nwarmup: 0\n');
  });
  afterAll(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
    await dropSchema(url, schema);
  });

  it('runs into Postgres and lists the run from another process, never printing the password', async () => {
    const run = await runCli(['run', suite, '--host', sim.url, '--store', store.toString(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { runId } = JSON.parse(run.stdout) as RunResult;
    expect(run.stderr).toMatch(new RegExp(`run ${runId} stored in postgres://\\*\\*\\*@${store.host}/swapbench\\?schema=\\*\\*\\*\\n`));

    // From the environment this time, as a team's CI job would set it.
    const runs = await runCli(['runs', '--json'], { env: { SWAPBENCH_STORE: store.toString() } });
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([expect.objectContaining({ runId, suiteName: 'team', status: 'completed' })]);
    const shown = await runCli(['show', runId.slice(0, 8), '--store', store.toString(), '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as RunResult).runId).toBe(runId);
    for (const out of [run, runs, shown]) {
      expect(out.stdout + out.stderr).not.toContain(store.password);
      // No driver warning (pg's query-queue DeprecationWarning was printed by some commands).
      expect(out.stderr).not.toMatch(/Warning/);
    }
  });

  it('stops with one line naming the server, not the password, when the login is refused', async () => {
    const wrong = new URL(store);
    wrong.password = 'wrong-password';
    const { code, stdout, stderr } = await runCli(['runs', '--store', wrong.toString()]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^swapbench: store postgres:\/\/\*\*\*@[^ ]+: the server refused the login/);
    expect(stderr).not.toContain('wrong-password');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
