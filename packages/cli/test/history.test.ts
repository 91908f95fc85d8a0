import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '@swapbench/core';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { openStore } from '@swapbench/core/stores';
import { runCli } from './run-cli.js';

/**
 * History through the built CLI, on a SQLite store in a temp folder: run → runs → show → export, run ids
 * by prefix, unknown and ambiguous ids.
 */

let sim: Simulator;
let dir: string;
let store: string;
let suiteA: string;
let suiteB: string;
/** The two runs made in `beforeAll`: A then B, B the newest. */
let runA: RunResult;
let runAReport: string;
let runB: RunResult;

const cli = (args: string[]) => runCli(args, { env: { SWAPBENCH_STORE: store } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-history-'));
  store = `sqlite:${join(dir, 'history.db')}`;
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 9,
    models: [{ name: 'tiny', genTps: 2000, promptTps: 20000, slots: 2, loadMs: 0 }],
  });
  suiteA = join(dir, 'a.yaml');
  suiteB = join(dir, 'b.yaml');
  await writeFile(
    suiteA,
    'name: suite-a\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [8]\nconcurrency: [1, 2]\nrepetitions: 2\nwarmup: 1\n',
  );
  await writeFile(
    suiteB,
    'name: suite-b\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n',
  );
  const a = await cli(['run', suiteA, '--host', sim.url]);
  expect(a.code, a.stderr).toBe(0);
  runAReport = a.stdout;
  runA = JSON.parse((await cli(['show', /run (\S+) stored in/.exec(a.stderr)![1]!, '--json'])).stdout);
  const b = await cli(['run', suiteB, '--host', `${sim.url}/`, '--json']);
  expect(b.code, b.stderr).toBe(0);
  runB = JSON.parse(b.stdout);
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('run', () => {
  it('says on stderr which run went where; with --json stdout is the result alone', async () => {
    const b = await cli(['run', suiteB, '--host', sim.url, '--json']);
    expect(b.code).toBe(0);
    const result = JSON.parse(b.stdout) as RunResult;
    expect(b.stderr).toContain(`run ${result.runId} stored in ${store}\n`);
  });
});

describe('runs', () => {
  it('lists stored runs newest first in a table of at most 120 columns', async () => {
    const { code, stdout } = await cli(['runs']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
    expect(lines[1]).toMatch(/run\s+│ started\s+│ status\s+│ suite\s+│ host\s+│ models\s+│ cells/);
    const rows = lines.filter((l) => /^│ [0-9a-f]{8} /.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.at(-1)).toContain(runA.runId.slice(0, 8));
    expect(rows.at(-1)).toMatch(/│ completed\s+│ suite-a\s+│ 127\.0\.0\.1:\d+\s+│ tiny\s+│ 2\s+│ –\s+│$/);
  });

  it('--json gives the listing rows; filters by suite, model, status and host URL (as typed, slash or not); --limit', async () => {
    const all = JSON.parse((await cli(['runs', '--json'])).stdout) as { runId: string; startedAt: string }[];
    expect(all.map((r) => r.startedAt)).toEqual(
      all
        .map((r) => r.startedAt)
        .sort()
        .reverse(),
    );
    const ids = async (...args: string[]) =>
      (JSON.parse((await cli(['runs', '--json', ...args])).stdout) as { runId: string }[]).map((r) => r.runId);
    expect(await ids('--suite', 'suite-a')).toEqual([runA.runId]);
    expect(await ids('--model', 'tiny', '--status', 'completed', '--limit', '100')).toHaveLength(all.length);
    expect(await ids('--model', 'other')).toEqual([]);
    expect(await ids('--host', sim.url)).toHaveLength(all.length);
    expect(await ids('--status', 'failed')).toEqual([]);
    expect(await ids('--limit', '1')).toEqual([all[0]!.runId]);
  });

  it('--host matches what the host column shows (host:port, over http or https; a name), or a URL as typed', async () => {
    // A store of its own: runs against other servers, copies of run B, one second apart (newest last).
    const other = `sqlite:${join(dir, 'hosts.db')}`;
    const s = await openStore(other);
    const hosts: Array<[string, RunResult['host']]> = [
      ['http-run', { baseUrl: 'http://127.0.0.1:18080' }],
      ['https-run', { baseUrl: 'https://127.0.0.1:18080' }],
      ['other-port', { baseUrl: 'http://127.0.0.1:18081' }],
      ['named-run', { id: 'gpu-box', baseUrl: 'http://10.0.0.5:8080' }],
      ['port-80-run', { baseUrl: 'http://gpu-box' }],
    ];
    for (const [i, [runId, host]] of hosts.entries()) {
      const at = (iso: string | null) => (iso === null ? null : new Date(Date.parse(iso) + i * 1000).toISOString());
      await s.runs.create({ ...runB, runId, host, startedAt: at(runB.startedAt)!, finishedAt: at(runB.finishedAt) });
    }
    await s.close();
    const inOther = (args: string[]) => runCli(['runs', ...args], { env: { SWAPBENCH_STORE: other } });
    const ids = async (...args: string[]) =>
      (JSON.parse((await inOther(['--json', ...args])).stdout) as { runId: string }[]).map((r) => r.runId);

    const table = await inOther(['--host', '127.0.0.1:18080']);
    expect(table.code).toBe(0);
    const rows = table.stdout.split('\n').filter((l) => l.startsWith('│ ') && !l.startsWith('│ run '));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/│ 127\.0\.0\.1:18080\s+│/);
    expect(await ids('--host', '127.0.0.1:18080')).toEqual(['https-run', 'http-run']);
    expect(await ids('--host', ' 127.0.0.1:18080/ ')).toEqual(['https-run', 'http-run']);
    expect(await ids('--host', 'http://127.0.0.1:18080')).toEqual(['http-run']);
    expect(await ids('--host', 'https://127.0.0.1:18080/')).toEqual(['https-run']);
    expect(await ids('--host', '10.0.0.5:8080')).toEqual(['named-run']);
    expect(await ids('--host', 'gpu-box')).toEqual(['port-80-run', 'named-run']);
    // Merged from both schemes, still newest first and cut at --limit, saying there are more.
    expect(await ids('--host', '127.0.0.1:18080', '--limit', '1')).toEqual(['https-run']);
    expect((await inOther(['--host', '127.0.0.1:18080', '--limit', '1'])).stderr).toContain('--limit N shows more');
  });

  it('says when nothing matches, with exit 0', async () => {
    const { code, stdout, stderr } = await cli(['runs', '--suite', 'none-such']);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`no runs match in ${store}\n`);
  });
});

describe('show', () => {
  it('prints the report run printed, from the store, by a unique prefix of the id', async () => {
    const { code, stdout } = await cli(['show', runA.runId.slice(0, 6)]);
    expect(code).toBe(0);
    expect(stdout).toBe(runAReport);
    expect(stdout.split('\n')[0]).toContain(`run ${runA.runId} · completed`);
  });

  it('--json prints the stored record, the result run returned', async () => {
    const { stdout } = await cli(['show', runB.runId, '--json']);
    expect(JSON.parse(stdout)).toEqual(runB);
  });

  it('an unknown id exits 2 naming the id and the store', async () => {
    const { code, stdout, stderr } = await cli(['show', 'no-such-run']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`swapbench: run no-such-run not found in ${store} (swapbench runs lists the stored runs)\n`);
  });

  it('an ambiguous prefix exits 2 listing the matches', async () => {
    // Two runs whose ids share a prefix, stored beside the others.
    const s = await openStore(store);
    for (const runId of ['abc00000-0001', 'abc00000-0002']) await s.runs.create({ ...runB, runId });
    await s.close();
    const { code, stderr } = await cli(['export', 'abc0']);
    expect(code).toBe(2);
    expect(stderr).toBe(`swapbench: <run>: "abc0" matches several runs in ${store}: abc00000-0001, abc00000-0002; give more of the id\n`);
    expect((await cli(['show', 'abc00000-0002', '--json'])).code).toBe(0);
  });
});

describe('export', () => {
  it('csv and jsonl: one row per request with the same columns, which a CSV parser reads back', async () => {
    const csv = await cli(['export', runA.runId, '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const jsonl = await cli(['export', runA.runId.slice(0, 8), '--format', 'jsonl']);
    const records = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // 1 warmup + (1×2 + 2×2) measured.
    expect(rows).toHaveLength(7);
    expect(records).toHaveLength(7);
    expect(csv.stderr).toBe(`exported 7 requests of run ${runA.runId} as csv\n`);
    const measured = records.filter((r) => r.phase === 'measured');
    expect(measured).toHaveLength(runA.cells.reduce((n, c) => n + c.n, 0));
    for (const [i, record] of records.entries()) {
      const row = rows[i]!;
      expect(Object.keys(row)).toEqual(Object.keys(record).filter((k) => k !== 'itlMs' && k !== 'timeline_tokenAt'));
      expect(record.runId).toBe(runA.runId);
      expect(Number(row.ttftMs)).toBe(record.ttftMs);
      expect(Number(row.server_genTps)).toBe(record.server_genTps);
      expect(row.error_code).toBe('');
      expect(record.itlMs).toHaveLength(record.itl_count as number);
      expect(record.itl_count).toBe(7);
    }
  });

  it('json is the run record; --out writes a file and takes the format from its name', async () => {
    const json = await cli(['export', runB.runId]);
    expect(JSON.parse(json.stdout)).toEqual(runB);
    const out = join(dir, 'b.jsonl');
    const toFile = await cli(['export', runB.runId, '--out', out]);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr).toBe(`exported 1 requests of run ${runB.runId} as jsonl to ${out}\n`);
    expect(JSON.parse((await readFile(out, 'utf8')).trim())).toMatchObject({ runId: runB.runId, phase: 'measured', ok: true });
  });

  it('an --out in a missing folder exits 2 naming --out, and leaves nothing behind', async () => {
    const { code, stderr } = await cli(['export', runB.runId, '--out', join(dir, 'missing', 'x.csv')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^swapbench: --out: cannot write .*missing\/x\.csv: ENOENT\n$/);
  });
});
