/** A cell's server-side counters, read from the simulator's llama-server `/metrics` around and during the cell. */
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { storedSamples, suite } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('server counters per cell', () => {
  it('records tokens the server evaluated and generated, and a queue for a concurrency above its slots', async () => {
    // One slot and three requests in flight: two wait in the server's queue (requests_deferred) for ~1 s.
    sim = await startSimulator({ mode: 'llama-server', seed: 2, models: [{ name: 'm1', slots: 1, genTps: 150, ttftMs: 1, jitter: 0 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 3 });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [20], maxTokens: [24], concurrency: [1, 3], repetitions: 2 }), {
      transport,
      store,
    });
    await transport.close();
    expect(result.status).toBe('completed');
    const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    for (const cell of result.cells) {
      const counters = cell.serverCounters!;
      expect(counters.before.source).toBe('llama.cpp');
      // The counters' differences are exactly this cell's requests, as each reported them.
      const mine = samples.filter((s) => s.concurrency === cell.concurrency);
      expect(counters.promptTokens).toBe(mine.reduce((n, s) => n + (s.server.promptEvaluatedTokens ?? 0), 0));
      expect(counters.generatedTokens).toBe(mine.reduce((n, s) => n + (s.server.generatedTokens ?? 0), 0));
    }
    const [c1, c3] = result.cells;
    expect(c1!.serverCounters!.peakRequestsDeferred).toBe(0);
    expect(c3!.serverCounters!.peakRequestsDeferred).toBeGreaterThanOrEqual(1);
    expect(result.notes.filter((n) => n.includes('deferred'))).toEqual([
      expect.stringMatching(/^cell m1 pp20 tg24 c3: the server deferred up to \d/),
    ]);
  });

  it('records nothing for a server without /metrics', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      models: [{ name: 'm1', genTps: 2000, ttftMs: 1 }],
      faults: [{ kind: 'http-500', paths: ['/metrics'] }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server' });
    const result = await runBenchSuite(suite({ promptTokens: [20], maxTokens: [4] }), { transport });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.cells[0]!.serverCounters).toBeUndefined();
  });
});
