import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import type { Sample } from '../../src/result/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { suite } from './helpers.js';

// The whole path over real loopback HTTP: engine → undici transport → simulator.
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function samplesOf(store: ReturnType<typeof createMemoryStore>, runId: string): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of store.runs.samples(runId)) out.push(s);
  return out;
}

describe('runBenchSuite against the simulator', () => {
  it('hits the exact prompt sizes asked for, chat template included, and busts the cache', async () => {
    sim = await startSimulator({ mode: 'llama-swap', seed: 5, models: [{ name: 'm1', genTps: 2000, promptTps: 50_000, ttftMs: 2, loadMs: 20 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 2 });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [37, 256, 1000], maxTokens: [16], concurrency: [1, 2], repetitions: 2, warmup: 1 }), { transport, store });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer' }]);
    const measured = (await samplesOf(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(18);
    for (const s of measured) {
      expect(s.ok).toBe(true);
      expect(s.promptTokensActual).toBe(s.promptTokens);
      expect(s.outputTokens).toBe(16);
      expect(s.server.cachedTokens).toBe(0);
      expect(s.flags).toEqual([]);
    }
    // Every request the simulator saw evaluated its whole prompt.
    const generations = sim.groundTruth.filter((g) => g.predictedTokens > 0);
    expect(generations.every((g) => g.cachedTokens === 0)).toBe(true);
  });

  it('measures TTFT that includes the simulated prompt time, and server speeds that match the profile', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 5, models: [{ name: 'm1', genTps: 500, promptTps: 4000, ttftMs: 10, jitter: 0, slots: 1 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
    const result = await runBenchSuite(suite({ promptTokens: [400], maxTokens: [32], repetitions: 3 }), { transport });
    await transport.close();
    const cell = result.cells[0]!;
    // 10 ms base + 400 tokens / 4000 tok/s = 110 ms at the simulator; loopback adds little.
    expect(cell.ttftMs.min!).toBeGreaterThanOrEqual(105);
    expect(cell.ttftMs.max!).toBeLessThan(250);
    expect(cell.serverGenTps.mean!).toBeGreaterThan(400);
    expect(cell.serverGenTps.mean!).toBeLessThan(600);
    expect(result.environment.server?.props?.m1?.totalSlots).toBe(1);
  });

  it('times out a stalled request as a failed sample and keeps going', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 5,
      models: [{ name: 'm1', genTps: 1000, ttftMs: 1 }],
      faults: [{ kind: 'stall', requests: [2], afterTokens: 2, stallMs: 60_000 }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
    const result = await runBenchSuite(suite({ promptTokens: [20], maxTokens: [8], repetitions: 3, requestTimeoutMs: 400 }), { transport });
    await transport.close();
    expect(result.status).toBe('completed');
    const cell = result.cells[0]!;
    expect([cell.n, cell.errors]).toEqual([3, 1]);
    expect(cell.errorCodes).toEqual({ REQUEST_TIMEOUT: 1 });
  });

  it('measures a cold start and swap times through llama-swap, apart from TTFT', async () => {
    sim = await startSimulator({
      mode: 'llama-swap',
      seed: 5,
      models: [
        { name: 'a', genTps: 2000, ttftMs: 2, loadMs: 150 },
        { name: 'b', genTps: 2000, ttftMs: 2, loadMs: 80 },
      ],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 1 });
    const result = await runBenchSuite(suite({ models: ['a', 'b'], promptTokens: [20], maxTokens: [4], repetitions: 2, warmup: 1, swaps: 2 }), { transport });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.coldStarts.map((c) => [c.model, c.loadedBefore])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    expect(result.coldStarts[0]!.coldStartMs!).toBeGreaterThanOrEqual(150);
    const swapA = result.swaps.find((s) => s.model === 'a')!;
    expect(swapA.swapMs).toHaveLength(2);
    for (const ms of swapA.swapMs) expect(ms).toBeGreaterThanOrEqual(140);
    // Loads never leak into the measured cells.
    for (const cell of result.cells) expect(cell.ttftMs.max!).toBeLessThan(70);
  });

  it('fails the run with HOST_UNREACHABLE when nothing listens', async () => {
    const transport = createLlamaTransport({ baseUrl: 'http://127.0.0.1:9', kind: 'llama-server', connections: 1 });
    const result = await runBenchSuite(suite(), { transport });
    await transport.close();
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOST_UNREACHABLE');
  });
});
