import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare-runs.js';
import type { ComparedInput } from '../../src/compare/types.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import type { Sample } from '../../src/result/types.js';
import { type SimulatedModel, startSimulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';

// Real runs over loopback HTTP against the simulator: what `swapbench compare` sees, at fast settings.
const MODEL: SimulatedModel = { name: 'm1', genTps: 250, ttftMs: 30, promptTps: 4000, jitter: 0.05, slots: 2, loadMs: 5 };
const SUITE = { name: 'cmp', models: ['m1'], promptTokens: [64], maxTokens: [16], concurrency: [1, 2], repetitions: 4, warmup: 1 };

async function measure(seed: number, model: Partial<SimulatedModel> = {}): Promise<ComparedInput> {
  const sim = await startSimulator({ mode: 'llama-server', seed, models: [{ ...MODEL, ...model }] });
  const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 2 });
  const store = createMemoryStore();
  try {
    const run = await runBenchSuite(SUITE, { transport, store });
    expect(run.status).toBe('completed');
    const samples: Sample[] = [];
    for await (const s of store.runs.samples(run.runId)) samples.push(s);
    return { run, samples };
  } finally {
    await transport.close();
    await sim.close();
  }
}

const verdictOf = (r: ReturnType<typeof compareRuns>, metric: string) =>
  r.cells.map((c) => c.metrics.find((m) => m.metric === metric)!.verdict);

describe('compareRuns against the simulator', () => {
  it('calls 20% lower generation speed a regression on genTps in every cell', async () => {
    const base = await measure(1);
    const r = compareRuns(base, await measure(2, { genTps: MODEL.genTps! * 0.8 }));
    expect(r.cells).toHaveLength(2);
    expect(verdictOf(r, 'genTps')).toEqual(['regression', 'regression']);
    expect(r.verdict).toBe('regression');
  });

  it('calls 20% higher TTFT a regression on ttftMs', async () => {
    const base = await measure(1, { promptTps: 1e9 });
    // With prompt time out of the way, TTFT is the simulator's fixed first-decode cost, plus loopback.
    const r = compareRuns(base, await measure(2, { promptTps: 1e9, ttftMs: MODEL.ttftMs! * 1.2 }));
    expect(verdictOf(r, 'ttftMs')).toContain('regression');
    expect(verdictOf(r, 'genTps')).not.toContain('regression');
  });

  it('flags an unchanged server (natural jitter, another seed) in at most 1 of 20 comparisons', { timeout: 120_000 }, async () => {
    const base = await measure(100);
    const flagged: string[] = [];
    for (let seed = 101; seed <= 120; seed++) {
      const r = compareRuns(base, await measure(seed));
      const regressions = r.cells.flatMap((c) =>
        c.metrics.filter((m) => m.verdict === 'regression').map((m) => `${c.concurrency}:${m.metric}`),
      );
      if (regressions.length > 0) flagged.push(`seed ${seed}: ${regressions.join(', ')}`);
    }
    expect(flagged.length, flagged.join('\n')).toBeLessThanOrEqual(1);
  });
});
