import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { createMemoryStore } from '../../../src/store/memory/index.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import { storedSamples, suite } from '../helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The simulator's ground truth and the client share `process.hrtime.bigint()` here. */
const hrClock = () => Number(process.hrtime.bigint()) / 1e6;
const ms = (t: bigint) => Number(t) / 1e6;

/**
 * How far an arrival at the simulator may drift from the client's schedule: timer lateness (~1 ms), loopback
 * delivery, and event-loop delay on a shared 2-core machine. Arrivals cannot come early, so only the upper
 * side needs it.
 */
const ARRIVAL_SLACK_MS = 100;

describe('open-loop rate cells against the simulator', () => {
  it('sends requests on the constant schedule, whatever the others are doing, and records latency from it', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'm1', genTps: 100, ttftMs: 5, slots: 8, jitter: 0 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 8, clock: hrClock });
    const store = createMemoryStore();
    // 20 requests/s, each ~160 ms long: about 3 in flight at once, which a closed loop at c1 could never send.
    const result = await runBenchSuite(
      suite({ concurrency: undefined, rate: [20], arrivals: 'constant', requests: 24, maxTokens: [16], maxConcurrency: 8 }),
      {
        transport,
        store,
        clock: hrClock,
      },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    const cell = result.cells[0]!;
    expect(cell).toMatchObject({ rate: 20, concurrency: 8, n: 24, errors: 0 });
    expect(cell.load).toMatchObject({ rate: 20, arrivals: 'constant', late: cell.flags.late ?? 0 });
    // The median request left within half a gap (25 ms) of its due time, even on a busy shared machine.
    expect(cell.load!.scheduleLagMs.p50!).toBeLessThan(25);
    expect(cell.load!.offeredRps).toBeCloseTo(20, 9);
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured.every((s) => s.rate === 20)).toBe(true);
    for (const s of measured) {
      // From the due time: never shorter than from the write.
      expect(s.scheduleLagMs).toBeGreaterThanOrEqual(0);
      expect(s.scheduledTtftMs!).toBeGreaterThanOrEqual(s.ttftMs!);
      expect(s.scheduledE2eMs!).toBeGreaterThanOrEqual(s.e2eMs!);
    }
    // At the server: request k arrived 50·k ms after the first, within the slack (never before).
    const arrivals = sim.groundTruth.filter((g) => g.requestId?.startsWith(result.runId)).map((g) => ms(g.arrivedAt));
    const measuredArrivals = arrivals.slice(arrivals.length - 24).sort((a, b) => a - b);
    for (const [k, at] of measuredArrivals.entries()) {
      expect(at - measuredArrivals[0]!).toBeGreaterThan(50 * k - ARRIVAL_SLACK_MS);
      expect(at - measuredArrivals[0]!).toBeLessThan(50 * k + ARRIVAL_SLACK_MS);
    }
    expect(sim.stats().peakActive).toBeGreaterThan(1);
  });

  it('holds requests beyond maxConcurrency back, flags them late, and counts their wait in the scheduled latency', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'm1', genTps: 200, ttftMs: 5, slots: 4, jitter: 0 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 2, clock: hrClock });
    const store = createMemoryStore();
    // 100 requests/s of ~45 ms requests with only 1 in flight: each waits for the one before.
    const result = await runBenchSuite(
      suite({
        concurrency: undefined,
        rate: [100],
        arrivals: 'constant',
        requests: 10,
        maxTokens: [8],
        maxConcurrency: 1,
        slo: { e2eMs: 200 },
      }),
      { transport, store, clock: hrClock },
    );
    await transport.close();
    const cell = result.cells[0]!;
    expect(cell.load!.late).toBeGreaterThanOrEqual(5);
    expect(cell.flags.late).toBe(cell.load!.late);
    expect(result.notes.some((n) => n.includes('[late]'))).toBe(true);
    expect(sim.stats().peakActive).toBe(1);
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    const last = measured.at(-1)!;
    // The 10th request was due at 90 ms and could start only after nine requests of ≥ 35 ms each.
    expect(last.scheduleLagMs!).toBeGreaterThan(9 * 35 - 90);
    expect(last.scheduledE2eMs! - last.e2eMs!).toBeGreaterThanOrEqual(last.scheduleLagMs!);
    // Its latency from the write looks fine; from the due time it misses the 200 ms SLO: goodput tells.
    expect(cell.goodput!.share!).toBeLessThan(1);
  });

  it('leaves requests cut by an abort out of the good share: they never had their chance', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'm1', genTps: 50, ttftMs: 5, slots: 8, jitter: 0 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 8, clock: hrClock });
    const store = createMemoryStore();
    const controller = new AbortController();
    let done = 0;
    // 10 requests/s of ~320 ms requests, with an SLO every finished one meets; stop after 4 have ended.
    const result = await runBenchSuite(
      suite({ concurrency: undefined, rate: [10], arrivals: 'constant', requests: 30, maxTokens: [16], slo: { e2eMs: 60_000 } }),
      {
        transport,
        store,
        clock: hrClock,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'sample' && e.sample.phase === 'measured' && ++done === 4) controller.abort();
        },
      },
    );
    await transport.close();
    expect(result.status).toBe('cancelled');
    const cell = result.cells[0]!;
    const cancelled = cell.errorCodes.CANCELLED ?? 0;
    expect(cancelled).toBeGreaterThan(0);
    expect(cell.errors).toBe(cancelled);
    // Every request that ran to its end met the SLO: the share was (n − cancelled) / n before.
    expect(cell.goodput).toMatchObject({ good: cell.n - cancelled, share: 1 });
  });

  it('draws prompt sizes per request from the distribution, each exact, and records them', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 3, models: [{ name: 'm1', genTps: 2000, ttftMs: 1, promptTps: 100_000 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 2 });
    const store = createMemoryStore();
    const result = await runBenchSuite(
      suite({ promptTokens: { mean: 200, stddev: 60, min: 80, max: 400 } as never, requests: 30, maxTokens: [4], seed: 5 }),
      { transport, store },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    expect(result.suite.promptDistribution).toEqual({ mean: 200, stddev: 60, min: 80, max: 400 });
    expect(result.cells[0]!.promptTokens).toBe(200);
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    const sizes = measured.map((s) => s.requestPromptTokens!);
    for (const s of measured) expect(s.promptTokensActual).toBe(s.requestPromptTokens);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(400);
    expect(new Set(sizes).size).toBeGreaterThan(10);
    // Mean within 3 standard errors of 200 (60/√30 ≈ 11 tokens each).
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(Math.abs(mean - 200)).toBeLessThan((3 * 60) / Math.sqrt(30));
    expect(measured.some((s) => s.flags.includes('prompt-size-mismatch'))).toBe(false);
  });
});
