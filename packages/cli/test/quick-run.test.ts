import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '@swapbench/core/simulator';
import { runCli } from './run-cli.js';
import { useTinyServer } from './tiny-server.js';

const env = useTinyServer('swapbench-quick-');

const quick = ['--prompt-tokens', '32,64', '--max-tokens', '8', '--concurrency', '1,2', '--repetitions', '1', '--warmup', '0'];

describe('swapbench run without a suite file', () => {
  it('measures the grid the flags describe, on the server’s one model', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--host', env.sim.url, ...quick, '--json']);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.suite).toMatchObject({ name: 'quick', models: ['tiny'], promptTokens: [32, 64], maxTokens: [8], concurrency: [1, 2] });
    expect(result.cells.map((c: { promptTokens: number; concurrency: number }) => `${c.promptTokens}/${c.concurrency}`)).toEqual([
      '32/1',
      '32/2',
      '64/1',
      '64/2',
    ]);
  });

  it('lets flags override a suite file, and names the flag when its value is bad', async () => {
    const file = join(env.dir, 'suite.yaml');
    await writeFile(
      file,
      'name: from-file\nmodels: [tiny]\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n',
    );
    const ok = await runCli(['run', file, '--host', env.sim.url, '--max-tokens', '6', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).suite).toMatchObject({ name: 'from-file', promptTokens: [16], maxTokens: [6] });

    const bad = await runCli(['run', file, '--host', env.sim.url, '--concurrency', '1,x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency: must be whole numbers');
    const tooBig = await runCli(['run', file, '--host', env.sim.url, '--max-tokens', '99999999']);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/--max-tokens.*must be at most/);
  });

  it('takes what a suite file leaves out from the flags (--models), and names the flag or the file that is wrong', async () => {
    const file = join(env.dir, 'no-models.yaml');
    await writeFile(file, 'name: no-models\npromptTokens: [16]\nmaxTokens: [4]\nconcurrency: [1]\nrepetitions: 1\nwarmup: 0\n');
    const ok = await runCli(['run', file, '--host', env.sim.url, '--models', 'tiny', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).suite).toMatchObject({ name: 'no-models', models: ['tiny'], maxTokens: [4] });
    const twice = await runCli(['run', file, '--host', env.sim.url, '--models', 'tiny,tiny']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--models: repeats the model "tiny"');
    expect(twice.stderr).not.toContain('no-models.yaml');
    const without = await runCli(['run', file, '--host', env.sim.url]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('no-models.yaml: models: is missing (expected array)');
  });

  it('refuses a model llama-swap does not have before any request, listing what it has (exit 2)', async () => {
    const swap = await startSimulator({
      mode: 'llama-swap',
      models: [
        { name: 'a', genTps: 2_000, loadMs: 0 },
        { name: 'b', genTps: 2_000, loadMs: 0 },
      ],
    });
    try {
      const { code, stderr } = await runCli(['run', '--host', swap.url, '--models', 'a,nope', ...quick]);
      expect(code).toBe(2);
      expect(stderr).toContain('"nope" is not on the server (it has: a, b)');
      expect(swap.stats().requests).toBe(0);
      // Without --models and no file, a server with several models is asked which.
      const which = await runCli(['run', '--host', swap.url, ...quick]);
      expect(which.code).toBe(2);
      expect(which.stderr).toContain('--models: is required without a suite file: the server has a, b');
    } finally {
      await swap.close();
    }
  });

  it('--json writes a failed result object also when the host cannot be reached at all', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--host', 'http://127.0.0.1:9', ...quick, '--json']);
    expect(code).toBe(4);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'HOST_UNREACHABLE' }, cells: [] });
    expect(stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it.each([
    ['an invalid flag value, --json after it', ['--repetitions', '1.5', '--json'], `--repetitions must be an integer, got "1.5"`],
    ['a value not among the choices', ['--json', '--kind', 'foo'], "argument 'foo' is invalid. Allowed choices are auto,"],
    ['an unknown option', ['--format', 'json', '--bogus'], "unknown option '--bogus'"],
    ['an option without its value', ['--json', '--name'], "option '--name <name>' argument missing"],
    ['too many arguments', ['a.yaml', 'b.yaml', '--json'], "too many arguments for 'run'"],
  ])('--json writes the failed result object also for a command line commander refuses: %s (exit 2)', async (_, args, message) => {
    const { code, stdout, stderr } = await runCli(['run', '--host', 'http://127.0.0.1:9', ...args]);
    expect(code).toBe(2);
    const result = JSON.parse(stdout);
    expect(result).toEqual({ runId: null, status: 'failed', error: { code: 'CONFIG_INVALID', message: expect.any(String) }, cells: [] });
    expect(result.error.message).toContain(message);
    // stderr keeps commander's message, the same one.
    expect(stderr.split('\n')[0]).toBe(`error: ${result.error.message}`);
  });

  it('-p/-n/-r only go with --llama-bench, and --json does not go with another --format', async () => {
    const p = await runCli(['run', '--host', env.sim.url, '-p', '512']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('-p: only goes with --llama-bench');
    const both = await runCli(['run', '--host', env.sim.url, '--json', '--format', 'md']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json: does not go with --format md');
    // --json was given: its result object all the same.
    expect(JSON.parse(both.stdout)).toMatchObject({ runId: null, status: 'failed', error: { code: 'CONFIG_INVALID' } });
  });
});

describe('report formats', () => {
  it('md, csv and the table carry the same cells; --out writes the file', async () => {
    const json = JSON.parse((await runCli(['run', '--host', env.sim.url, ...quick, '--json'])).stdout);
    const runId: string = json.runId;

    const md = await runCli(['show', runId, '--format', 'md']);
    expect(md.code).toBe(0);
    const mdRows = md.stdout.split('\n').filter((l) => l.startsWith('| tiny'));
    expect(mdRows).toHaveLength(4);
    expect(md.stdout).toMatch(/\| model\s+\| pp tokens\s+\|/);

    const out = join(env.dir, 'cells.csv');
    const csv = await runCli(['show', runId, '--format', 'csv', '--out', out]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('');
    expect(csv.stderr).toContain(`report written to ${out}`);
    const rows = parseCsv(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => Number(r.ttft_p50_ms))).toEqual(json.cells.map((c: { ttftMs: { p50: number } }) => c.ttftMs.p50));
    expect(rows[0]).toMatchObject({ run_id: runId, model: 'tiny', prompt_tokens: '32', max_tokens: '8', concurrency: '1' });

    const table = await runCli(['show', runId]);
    const widest = Math.max(...table.stdout.split('\n').map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(120);
    expect(table.stdout).toMatch(/^model\s+pp\s+tg\s+conc/m);
    expect(table.stdout).toContain('pp = prompt tokens, tg = tokens generated');

    const noDir = await runCli(['show', runId, '--out', join(env.dir, 'missing', 'x.md')]);
    expect(noDir.stderr).toContain('--out:');
    expect(noDir.code).toBe(2);
  });

  it('--llama-bench runs llama-bench’s tests and prints its table', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--host', env.sim.url, '--llama-bench', '-p', '64', '-n', '16', '-r', '2']);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\| model\s+\|\s+size \|\s+params \| build\s+\|\s+test \|\s+t\/s \|$/);
    const tests = lines.slice(2).map((l) => l.split('|')[5]!.trim());
    expect(tests).toEqual(['pp64', 'tg16']);
    for (const line of lines.slice(2)) expect(line).toMatch(/\d+\.\d\d ± \d+\.\d\d \|$/);
  });
});

describe('the table at 120 columns', () => {
  it('shortens a long model name in the middle before leaving any column out', async () => {
    const name = 'Qwen2.5-Coder-32B-Instruct-Q4_K_M-with-a-long-suffix';
    const long = await startSimulator({ mode: 'llama-server', models: [{ name, genTps: 2_000, loadMs: 0 }] });
    try {
      const { code, stdout } = await runCli(['run', '--host', long.url, ...quick]);
      expect(code).toBe(0);
      const rows = stdout.split('\n').filter((l) => l.startsWith('Qwen2.5-Coder-'));
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(row.length).toBeLessThanOrEqual(120);
        // Head and tail kept (the quant suffix tells models apart), the middle elided, down to 28 characters
        // and no further: what still does not fit is columns (which ones depends on the figures' widths).
        expect(row).toMatch(/^Qwen2\.5-Coder-\S*…\S*long-suffix /);
        expect(row.split(/\s/)[0]).toHaveLength(28);
      }
      expect(Math.max(...stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120);
    } finally {
      await long.close();
    }
  });
});
