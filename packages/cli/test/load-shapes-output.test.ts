import { createMemoryStore, type RunResult, runBenchSuite } from '@swapbench/core';
import { startSimulator, type Simulator } from '@swapbench/core/simulator';
import { createLlamaTransport } from '@swapbench/core/transports/llama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/output/formats.js';

let sim: Simulator;
let result: RunResult;
beforeAll(async () => {
  sim = await startSimulator({
    mode: 'llama-server',
    seed: 5,
    models: [{ name: 'tiny', promptTps: 20_000, genTps: 2_000, ttftMs: 2, slots: 2, loadMs: 0 }],
  });
  const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
  try {
    result = await runBenchSuite(
      {
        name: 'open-loop',
        models: ['tiny'],
        promptTokens: [32],
        maxTokens: [4],
        concurrency: [],
        rate: [50],
        requests: 10,
        warmup: 0,
        slo: { ttftMs: 1000 },
      },
      { transport, store: createMemoryStore() },
    );
  } finally {
    await transport.close();
  }
});
afterAll(async () => {
  await sim.close();
});

describe('the Markdown report of an open-loop cell with an SLO', () => {
  it('explains the rate and goodput columns, as the table legend does', () => {
    expect(result.status).toBe('completed');
    const md = renderMarkdown(result);
    // The row shows `50/s` and a good share: a reader of the pasted table must be told what they are.
    expect(md).toMatch(/\| 50\/s \|/);
    expect(md).toContain('N/s = an open-loop rate (requests/s)');
    expect(md).toContain('good = share of requests meeting the SLO, goodput = good requests/s');
  });
});
