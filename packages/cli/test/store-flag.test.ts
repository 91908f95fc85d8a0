import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

/** Where history goes: --store, SWAPBENCH_STORE, the default in the data folder, and stores named badly. */

let sim: Simulator;
let dir: string;
let suite: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-store-flag-'));
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 2,
    models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 1, loadMs: 0 }],
  });
  suite = join(dir, 's.yaml');
  await writeFile(suite, 'name: s\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the default store', () => {
  it('is swapbench.db in $XDG_DATA_HOME/swapbench when neither --store nor SWAPBENCH_STORE says otherwise', async () => {
    const data = join(dir, 'xdg');
    // An empty SWAPBENCH_STORE counts as unset.
    const env = { SWAPBENCH_STORE: '', XDG_DATA_HOME: data };
    const run = await runCli(['run', suite, '--host', sim.url, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const db = join(data, 'swapbench', 'swapbench.db');
    expect(run.stderr).toContain(`run ${(JSON.parse(run.stdout) as RunResult).runId} stored in sqlite:${db}\n`);
    expect(existsSync(db)).toBe(true);
    const runs = await runCli(['runs', '--json'], { env });
    expect(JSON.parse(runs.stdout)).toHaveLength(1);
  });
});

describe('--store and SWAPBENCH_STORE', () => {
  it('--store beats SWAPBENCH_STORE', async () => {
    const db = join(dir, 'flag.db');
    const run = await runCli(['run', suite, '--host', sim.url, '--store', db], { env: { SWAPBENCH_STORE: 'memory:' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`run \\S+ stored in sqlite:${db}\\n$`));
  });

  it('file:<dir> keeps history in a folder, and a bare folder path opens it again', async () => {
    const folder = join(dir, 'history');
    const run = await runCli(['run', suite, '--host', sim.url, '--json'], { env: { SWAPBENCH_STORE: `file:${folder}` } });
    expect(run.code, run.stderr).toBe(0);
    const { runId } = JSON.parse(run.stdout) as RunResult;
    expect(run.stderr).toContain(`run ${runId} stored in file:${folder}\n`);
    const show = await runCli(['show', runId.slice(0, 8), '--store', folder, '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).runId).toBe(runId);
  });

  it('a corrupt line in a file store: the rest is shown, the line named on stderr, exit 2', async () => {
    const folder = join(dir, 'corrupt');
    const run = await runCli(['run', suite, '--host', sim.url, '--json'], { env: { SWAPBENCH_STORE: `file:${folder}` } });
    const { runId } = JSON.parse(run.stdout) as RunResult;
    const samples = join(folder, 'runs', `${runId}.samples.jsonl`);
    const lines = (await readFile(samples, 'utf8')).trimEnd().split('\n');
    // Line 1 is the format header; break the first sample's line.
    lines[1] = '{"broken';
    await writeFile(samples, `${lines.join('\n')}\n`);
    const { code, stdout, stderr } = await runMain(['export', runId, '--format', 'jsonl', '--store', `file:${folder}`]);
    expect(code).toBe(2);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(lines.length - 2);
    expect(stderr).toContain(`swapbench: warning: ${samples}:2: not valid JSON; line skipped\n`);
  });

  it('memory: keeps nothing, and says so', async () => {
    const run = await runMain(['run', suite, '--host', sim.url, '--store', 'memory:']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/run \S+ not kept \(--store memory:\)\n$/);
    const runs = await runMain(['runs', '--store', 'memory:']);
    expect(runs.code).toBe(0);
    expect(runs.stderr).toBe('no runs in memory:\n');
  });

  it('demo keeps its run like run does', async () => {
    const db = join(dir, 'demo.db');
    const demo = await runCli(['demo', '--json', '--store', `sqlite:${db}`]);
    expect(demo.code, demo.stderr).toBe(0);
    const { runId } = JSON.parse(demo.stdout) as RunResult;
    expect(demo.stderr).toContain(`run ${runId} stored in sqlite:${db}\n`);
    const runs = JSON.parse((await runCli(['runs', '--json', '--store', db])).stdout) as { runId: string; suiteName: string }[];
    expect(runs).toEqual([expect.objectContaining({ runId, suiteName: 'demo' })]);
  });
});

describe('a store named badly exits 2 with one line', () => {
  const cases: [string, (d: string) => string[], RegExp][] = [
    [
      'an unknown scheme',
      () => ['runs', '--store', 'mysql://db/x'],
      /^swapbench: store mysql:\/\/db\/x: unknown scheme "mysql:"; use sqlite:<file>, file:<dir>, postgres:\/\/host\/database or memory:\n$/,
    ],
    [
      'a bare name it cannot place',
      () => ['runs', '--store', 'nowhere'],
      /^swapbench: store nowhere: no such directory, and not named \.db.*; use sqlite:<file>/,
    ],
    ['a text file', (d) => ['hosts', 'list', '--store', join(d, 'notes.txt')], /notes\.txt: neither a directory nor a SQLite database/],
    ['a text file named .db', (d) => ['runs', '--store', `sqlite:${join(d, 'notes.db')}`], /^swapbench: .*notes\.db/],
    ['a path through a file', (d) => ['show', 'x', '--store', `file:${join(d, 'notes.txt', 'h')}`], /^swapbench: .*notes\.txt\/h/],
    ['a scheme with no path', () => ['export', 'x', '--store', 'sqlite:'], /^swapbench: store sqlite:: sqlite: needs a path/],
  ];

  it.each(cases)('%s', async (_what, args, message) => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'notes.txt'), 'not a database\n');
    await writeFile(join(bad, 'notes.db'), 'not a database either, but long enough to have a header\n');
    const { code, stdout, stderr } = await runMain(args(bad));
    expect(code, stderr).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('names SWAPBENCH_STORE when the URI came from there', async () => {
    const { code, stderr } = await runCli(['runs'], { env: { SWAPBENCH_STORE: 'redis://x' } });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'swapbench: store redis://x: unknown scheme "redis:"; use sqlite:<file>, file:<dir>, postgres://host/database or memory: (--store from SWAPBENCH_STORE)\n',
    );
  });

  it('run stops before measuring when its store cannot be opened', async () => {
    const { code, stderr } = await runMain(['run', suite, '--host', sim.url, '--store', 'bogus:x']);
    expect(code).toBe(2);
    expect(stderr).not.toMatch(/^run \S+:/m);
  });
});
