import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { BIN, runCli } from './run-cli.js';

const STATS_KEYS = ['mean', 'stddev', 'min', 'p50', 'p90', 'p95', 'p99', 'max'];
const CELL_METRICS = ['ttftMs', 'e2eMs', 'itlMs', 'genTps', 'serverGenTps', 'serverPromptTps'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swapbench demo', () => {
  it('--json prints a completed run with every documented field', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--json']);
    expect(stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('completed');
    for (const key of ['runId', 'status', 'suite', 'startedAt', 'finishedAt', 'cells']) expect(result).toHaveProperty(key);
    // 2 models × 2 prompt sizes × 1 output length × 2 concurrency levels.
    expect(result.cells).toHaveLength(8);
    for (const cell of result.cells) {
      for (const key of ['model', 'promptTokens', 'maxTokens', 'concurrency', 'n', 'errors', 'throughputTps'])
        expect(cell).toHaveProperty(key);
      for (const metric of CELL_METRICS) expect(Object.keys(cell[metric])).toEqual(STATS_KEYS);
      expect(cell.errors).toBe(0);
      expect(cell.n).toBe(cell.concurrency * 2);
      expect(cell.ttftMs.p50).toBeGreaterThan(0);
      expect(cell.serverGenTps.mean).toBeGreaterThan(0);
    }
    expect(result.swaps.length).toBeGreaterThan(0);
    expect(result.environment.client.node).toMatch(/^v\d+/);
  });

  it.each([
    ['a refused flag', ['--seed', 'x'], 'CONFIG_INVALID', '--seed must be a number'],
    ['a store that cannot be opened', ['--store', 'bogus:x'], 'STORE_UNAVAILABLE', 'unknown scheme "bogus:"'],
  ])('--json writes a failed result object when the demo cannot start: %s (exit 2)', async (_, args, errorCode, message) => {
    const { code, stdout, stderr } = await runCli(['demo', '--json', ...args]);
    expect(code).toBe(2);
    const result = JSON.parse(stdout);
    expect(result).toEqual({ runId: null, status: 'failed', error: { code: errorCode, message: expect.any(String) }, cells: [] });
    expect(result.error.message).toContain(message);
    expect(stderr).toContain(message);
  });

  it('prints a readable table with the server and client described above it', async () => {
    const { code, stdout, stderr } = await runCli(['demo']);
    expect(code).toBe(0);
    // Kept in the temp store test/setup-store.ts gives every test file.
    expect(stderr).toContain(`stored in ${process.env.SWAPBENCH_STORE}\n`);
    expect(stdout).toMatch(/server\s+llama-swap at http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/client\s+Node v\d+/);
    expect(stdout).toMatch(/TTFT\s+TTFT/);
    expect(stdout).toMatch(/p50 ms\s+p95 ms/);
    // Fits 120 columns, the width a report gets when stdout is not a terminal.
    expect(Math.max(...stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(stdout).toContain('sim-qwen3-8b');
    expect(stdout).toContain('sim-llama3-3b');
  });
});

describe('swapbench run', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      mode: 'llama-swap',
      seed: 3,
      models: [{ name: 'tiny', genTps: 400, promptTps: 8000, slots: 2, loadMs: 50 }],
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('runs a YAML suite against a server given by --host', async () => {
    const file = join(dir, 'suite.yaml');
    await writeFile(file, 'name: yaml-suite\nmodels: [tiny]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [1, 2]\nrepetitions: 2\n');
    const { code, stdout } = await runCli(['run', file, '--host', sim.url, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.suite.name).toBe('yaml-suite');
    expect(result.cells.map((c: { concurrency: number; n: number }) => [c.concurrency, c.n])).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(result.environment.server.kind).toBe('llama-swap');
  });

  it('takes the host from SWAPBENCH_HOST', async () => {
    const file = join(dir, 'suite.json');
    await writeFile(
      file,
      JSON.stringify({ name: 'json-suite', models: ['tiny'], promptTokens: [32], maxTokens: [8], concurrency: [1], repetitions: 1 }),
    );
    const { code, stdout } = await runCli(['run', file, '--json'], { env: { SWAPBENCH_HOST: sim.url } });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).cells).toHaveLength(1);
  });

  it('rejects an invalid suite with exit 2, naming the file and the field', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nmodels: [tiny]\npromptTokens: [64]\nmaxTokens: [16]\nconcurrency: [0]\n');
    const { code, stderr } = await runCli(['run', file, '--host', sim.url]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain('concurrency[0]');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 4 with a clear message when the host is unreachable', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'name: ok\nmodels: [tiny]\npromptTokens: [32]\nmaxTokens: [8]\nconcurrency: [1]\n');
    const { code, stderr } = await runCli(['run', file, '--host', 'http://127.0.0.1:9', '--kind', 'llama-server']);
    expect(code).toBe(4);
    expect(stderr).toMatch(/127\.0\.0\.1:9/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 without --host', async () => {
    const file = join(dir, 'ok.yaml');
    const { code, stderr } = await runCli(['run', file], { env: { SWAPBENCH_HOST: '' } });
    expect(code).toBe(2);
    expect(stderr).toContain('--host');
  });
});

describe('usage errors', () => {
  it('exits 2 on an unknown flag', async () => {
    const { code, stderr } = await runCli(['demo', '--no-such-flag']);
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-flag');
  });

  it('exits 2 on an invalid flag value', async () => {
    const { code, stderr } = await runCli(['simulate', '--slots', 'zero']);
    expect(code).toBe(2);
    expect(stderr).toContain('--slots');
  });

  it('--help lists the commands and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['demo', 'run', 'simulate', 'runs', 'show', 'export', 'hosts']) expect(stdout).toContain(command);
  });
});

describe('swapbench simulate', () => {
  it('serves until stopped and prints its URL', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', '--port', '0', '--gen-tps', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const url = chunk.toString().trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain('sim-llama');
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
  });
});
