import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import type { Sample } from '../../src/result/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import { storedSamples, suite } from './helpers.js';

// The whole path over real loopback HTTP: engine → undici transport → simulator.
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/**
 * The simulator's ground truth is on `process.hrtime.bigint()`; the engine and transport stamp on the same
 * clock here, so each sample can be checked against what the simulator really did.
 */
const hrClock = () => Number(process.hrtime.bigint()) / 1e6;
const ms = (t: bigint) => Number(t) / 1e6;

/**
 * How much later than the simulator's own schedule a client may see an event: loopback delivery plus
 * event-loop latency on a busy 2-core machine (the suite is also run while the harness benchmark loads it).
 * Lower bounds need no tolerance: a client cannot see a token before the simulator wrote it.
 */
const LATE_MS = 250;

/** Ground-truth TTFT of the request that produced `sample`: body received to first token written. */
function truthTtft(sim: Simulator, sample: Sample): number {
  const truth = sim.groundTruth.find((g) => g.id === sample.responseId);
  if (!truth?.tokenWrites[0]) throw new Error(`no ground truth for ${sample.responseId}`);
  return ms(truth.tokenWrites[0]) - ms(truth.receivedAt);
}

describe('runBenchSuite against the simulator', () => {
  it('hits the exact prompt sizes asked for, chat template included, and busts the cache', async () => {
    sim = await startSimulator({
      mode: 'llama-swap',
      seed: 5,
      models: [{ name: 'm1', genTps: 2000, promptTps: 50_000, ttftMs: 2, loadMs: 20 }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 2 });
    const store = createMemoryStore();
    const result = await runBenchSuite(
      suite({ promptTokens: [37, 256, 1000], maxTokens: [16], concurrency: [1, 2], repetitions: 2, warmup: 1 }),
      { transport, store },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.calibration).toEqual([{ model: 'm1', method: 'tokenizer' }]);
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(18);
    for (const s of measured) {
      expect(s.ok).toBe(true);
      expect(s.promptTokensActual).toBe(s.promptTokens);
      expect(s.outputTokens).toBe(16);
      expect(s.server.cachedTokens).toBe(0);
      // No size or cache flag; `client-wait` says only that this busy test machine was slow to send.
      expect(s.flags.filter((f) => f !== 'client-wait')).toEqual([]);
    }
    // Every request the simulator saw evaluated its whole prompt.
    const generations = sim.groundTruth.filter((g) => g.predictedTokens > 0);
    expect(generations.every((g) => g.cachedTokens === 0)).toBe(true);
  });

  it('measures TTFT that includes the simulated prompt time, and server speeds that match the profile', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 5,
      models: [{ name: 'm1', genTps: 500, promptTps: 4000, ttftMs: 10, jitter: 0, slots: 1 }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1, clock: hrClock });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [400], maxTokens: [32], repetitions: 3 }), {
      transport,
      store,
      clock: hrClock,
    });
    await transport.close();
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(3);
    for (const s of measured) {
      // 10 ms base + 400 tokens / 4000 tok/s = 110 ms at the simulator, and the client saw all of it.
      const truth = truthTtft(sim, s);
      expect(truth).toBeGreaterThanOrEqual(109);
      expect(s.ttftMs!).toBeGreaterThanOrEqual(truth);
      expect(s.ttftMs! - truth).toBeLessThan(LATE_MS);
    }
    // Server-side figures are the simulator's planned ones (jitter 0), so they are exact, not timed.
    const cell = result.cells[0]!;
    expect(cell.serverGenTps.mean!).toBeCloseTo(500, 0);
    expect(cell.serverPromptTps.mean!).toBeGreaterThan(3000);
    expect(result.environment.server?.models.find((m) => m.id === 'm1')?.slots).toBe(1);
  });

  it('times out a stalled request as a failed sample and keeps going', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 5,
      models: [{ name: 'm1', genTps: 1000, ttftMs: 1 }],
      faults: [{ kind: 'stall', requests: [2], afterTokens: 2, stallMs: 60_000 }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 1 });
    const result = await runBenchSuite(
      suite({ promptTokens: [20], maxTokens: [8], repetitions: 3, requestTimeoutMs: 400, maxErrorRate: 0.5 }),
      { transport },
    );
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
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-swap', connections: 1, clock: hrClock });
    const store = createMemoryStore();
    const result = await runBenchSuite(
      suite({ models: ['a', 'b'], promptTokens: [20], maxTokens: [4], repetitions: 2, warmup: 1, swaps: 2 }),
      {
        transport,
        store,
        clock: hrClock,
      },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.coldStarts.map((c) => [c.model, c.loadedBefore])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    // A load of 150 ms happened inside the cold request: its TTFT cannot be shorter.
    expect(result.coldStarts[0]!.coldStartMs!).toBeGreaterThanOrEqual(150);
    const samples = await storedSamples(store, result.runId);
    const truthOf = (s: Sample) => sim!.groundTruth.find((g) => g.id === s.responseId)!;
    const swapA = result.swaps.find((s) => s.model === 'a')!;
    expect(swapA.swapMs).toHaveLength(2);
    // Each swap is a cold/warm pair: the simulator loaded the model for the cold one only, and the swap time
    // the client reports matches the simulator's own (cold TTFT − warm TTFT) within the tolerance.
    const pairs = samples.filter((s) => s.phase === 'swap' && s.model === 'a');
    expect(pairs).toHaveLength(4);
    for (const [i, swapMs] of swapA.swapMs.entries()) {
      const [cold, warm] = [pairs[2 * i]!, pairs[2 * i + 1]!];
      expect([truthOf(cold).swapped, truthOf(warm).swapped]).toEqual([true, false]);
      expect(truthOf(cold).loadMs).toBeGreaterThanOrEqual(149);
      const truthSwap = truthTtft(sim, cold) - truthTtft(sim, warm);
      expect(Math.abs(swapMs - truthSwap)).toBeLessThan(LATE_MS);
    }
    // Loads never leak into the measured cells: no measured request waited for one.
    const measured = samples.filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(4);
    for (const s of measured) expect([truthOf(s).swapped, truthOf(s).loadMs]).toEqual([false, 0]);
  });

  it('loses no request to llama-server closing its connection after every stream, and starts latencies at the send', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 5, models: [{ name: 'm1', genTps: 5000, ttftMs: 1, slots: 4 }] });
    // The simulator stamps on process.hrtime: the same clock here, so the two records compare.
    const hrClock = () => Number(process.hrtime.bigint()) / 1e6;
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 4, clock: hrClock });
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ promptTokens: [20], maxTokens: [4], concurrency: [1, 4], repetitions: 25 }), {
      transport,
      store,
      timelines: true,
    });
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.cells.map((c) => [c.n, c.errors])).toEqual([
      [25, 0],
      [100, 0],
    ]);
    // Each stream reached the simulator exactly once.
    expect(sim.groundTruth.filter((g) => g.predictedTokens > 0)).toHaveLength(125);
    const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(samples).toHaveLength(125);
    for (const s of samples) {
      const t = s.timeline!;
      const truth = sim.groundTruth.find((g) => g.id === s.responseId)!;
      const receivedAt = Number(truth.receivedAt) / 1e6;
      // Written after it was handed over, and before the server had it.
      expect(t.sentAt! - t.startAt).toBeCloseTo(s.queueMs! + (s.connectMs ?? 0), 6);
      expect(t.sentAt!).toBeLessThanOrEqual(receivedAt);
      // TTFT starts at the send: the server's own TTFT plus the wire, never a wait in the client.
      const trueTtft = (Number(truth.tokenWrites[0]!) - Number(truth.receivedAt)) / 1e6;
      expect(s.ttftMs!).toBeGreaterThanOrEqual(trueTtft);
      expect(s.ttftMs).toBeCloseTo(t.tokenAt[0]! - t.sentAt!, 6);
      expect(t.tokenAt).toHaveLength(s.outputTokens);
      expect(s.requestId).toMatch(new RegExp(`^${result.runId}-\\d+$`));
    }
  });

  it('fails the run with HOST_UNREACHABLE when nothing listens', async () => {
    const transport = createLlamaTransport({ baseUrl: 'http://127.0.0.1:9', kind: 'llama-server', connections: 1 });
    const result = await runBenchSuite(suite(), { transport });
    await transport.close();
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOST_UNREACHABLE');
  });
});
