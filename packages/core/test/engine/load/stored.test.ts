import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import type { RunResult } from '../../../src/result/types.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { openStore } from '../../../src/store/open-store.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import { storedSamples, suite } from '../helpers.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ mode: 'llama-server', seed: 8, models: [{ name: 'm1', genTps: 1000, ttftMs: 2, slots: 4 }] });
  dir = await mkdtemp(join(tmpdir(), 'swapbench-load-store-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe('load-shape results in every store', () => {
  it.each(['memory:', 'sqlite:', 'file:'])('%s keeps rates, sweep summaries, goodput and per-request sizes', async (scheme) => {
    const uri = scheme === 'memory:' ? scheme : `${scheme}${join(dir, scheme === 'sqlite:' ? 'runs.db' : 'runs')}`;
    const store = await openStore(uri);
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 4 });
    let result: RunResult;
    try {
      result = await runBenchSuite(
        suite({
          concurrency: undefined,
          rate: [40],
          requests: 8,
          maxTokens: [4],
          promptTokens: { mean: 40, stddev: 10, min: 20, max: 60 } as never,
          sweep: { steps: 1, requests: 4, maxConcurrency: 4 },
          maxConcurrency: 4,
          slo: { e2eMs: 60_000 },
        }),
        { transport, store },
      );
      expect(result.status).toBe('completed');
      const record = await store.runs.get(result.runId);
      // The stored run is the result as returned: sweeps, each cell's load and goodput, the suite's load fields.
      expect(record?.sweeps).toEqual(result.sweeps);
      expect(record?.sweeps).toHaveLength(1);
      expect(record?.cells).toEqual(result.cells);
      expect(record?.cells.find((c) => c.rate === 40)?.load?.rate).toBe(40);
      expect(record?.cells.every((c) => c.goodput?.share === 1)).toBe(true);
      expect(record?.suite.promptDistribution).toEqual({ mean: 40, stddev: 10, min: 20, max: 60 });
      const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
      const open = samples.filter((s) => s.rate !== undefined);
      expect(open.length).toBeGreaterThan(0);
      expect(open.every((s) => typeof s.scheduleLagMs === 'number' && typeof s.scheduledE2eMs === 'number')).toBe(true);
      expect(samples.every((s) => s.requestPromptTokens! >= 20 && s.requestPromptTokens! <= 60)).toBe(true);
    } finally {
      await transport.close();
      await store.close();
    }
  });
});
