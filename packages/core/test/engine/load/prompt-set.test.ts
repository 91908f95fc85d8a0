import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { ConfigError } from '../../../src/errors/errors.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { createMemoryStore } from '../../../src/store/memory/index.js';
import { loadSuiteFile } from '../../../src/suite/load-suite.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import { storedSamples } from '../helpers.js';

let sim: Simulator | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-prompts-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await rm(dir, { recursive: true, force: true });
});

const SUITE = ['name: set', 'models: [m1]', 'promptTokens: [16]', 'maxTokens: [8]', 'concurrency: [1]', 'requests: 6', 'warmup: 0'];

describe('prompt sets', () => {
  it('sends the JSONL file named relative to the suite, in order, with each line’s output length', async () => {
    const lines = [
      { prompt: 'Summarize the history of the printing press in two sentences.', maxTokens: 5 },
      { prompt: 'Name three rivers.', id: 'extra fields are ignored' },
      { prompt: 'Write a haiku about autumn rain falling on an old wooden temple roof at dusk.', maxTokens: 12 },
    ];
    await writeFile(join(dir, 'prompts.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`);
    await writeFile(join(dir, 'suite.yaml'), [...SUITE, 'prompts: { file: prompts.jsonl }'].join('\n'));
    const suite = await loadSuiteFile(join(dir, 'suite.yaml'));
    expect(suite.prompts).toEqual({ file: join(dir, 'prompts.jsonl'), order: 'sequential' });

    sim = await startSimulator({ mode: 'llama-server', seed: 4, models: [{ name: 'm1', genTps: 2000, ttftMs: 1 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite, { transport, store });
    await transport.close();
    expect(result.status).toBe('completed');
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    // Six requests over three prompts: each twice, in file order; output lengths from the lines (else the cell's 8).
    expect(measured.map((s) => s.outputTokens)).toEqual([5, 8, 12, 5, 8, 12]);
    const sizes = measured.map((s) => s.promptTokensActual!);
    expect(sizes.slice(0, 3)).toEqual(sizes.slice(3));
    // The haiku line is longer than the rivers line; neither is the suite's 16 tokens, and that is no mismatch.
    expect(sizes[2]!).toBeGreaterThan(sizes[1]!);
    expect(measured.every((s) => !s.flags.includes('prompt-size-mismatch') && !s.flags.includes('length-mismatch'))).toBe(true);
  });

  it('refuses a bad line before any request, naming the file and the line', async () => {
    await writeFile(join(dir, 'prompts.jsonl'), '{"prompt": "ok"}\n{"prompt": ""}\nnot json\n{"prompt": "x", "maxTokens": 0}\n');
    await writeFile(join(dir, 'suite.yaml'), [...SUITE, 'prompts: { file: prompts.jsonl }'].join('\n'));
    sim = await startSimulator({ mode: 'llama-server', seed: 4, models: [{ name: 'm1' }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
    const error = await runBenchSuite(await loadSuiteFile(join(dir, 'suite.yaml')), { transport }).catch((err: unknown) => err);
    await transport.close();
    expect(error).toBeInstanceOf(ConfigError);
    const { issues, message } = error as ConfigError;
    expect(message.startsWith(join(dir, 'prompts.jsonl'))).toBe(true);
    expect(issues.map((i) => i.path)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(issues[0]!.message).toBe('prompt: must not be empty');
    expect(issues[1]!.message).toMatch(/^is not JSON/);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a missing file, and a prompt set with a size distribution', async () => {
    await writeFile(join(dir, 'suite.yaml'), [...SUITE, 'prompts: { file: nowhere.jsonl }'].join('\n'));
    const missing = await runBenchSuite(await loadSuiteFile(join(dir, 'suite.yaml')), {
      transport: { kind: 'llama-server', baseUrl: 'http://127.0.0.1:9' } as never,
    }).catch((err: unknown) => err as ConfigError);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toMatch(/nowhere\.jsonl: prompts\.file: cannot be read: .*ENOENT/);
    await writeFile(
      join(dir, 'both.yaml'),
      [
        ...SUITE.filter((l) => !l.startsWith('promptTokens')),
        'promptTokens: { mean: 20, stddev: 2, min: 10, max: 30 }',
        'prompts: { file: p.jsonl }',
      ].join('\n'),
    );
    await expect(loadSuiteFile(join(dir, 'both.yaml'))).rejects.toThrow(
      /both.yaml: prompts: line 8: cannot be combined with a prompt-size distribution/,
    );
  });
});
