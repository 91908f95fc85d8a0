import { afterEach, describe, expect, it } from 'vitest';
import { meetsSlo } from '../../../src/engine/load/goodput.js';
import { isSaturated, maxGoodRate } from '../../../src/engine/load/sweep.js';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import type { SweepStep } from '../../../src/result/types.js';
import { startSimulator, type Simulator } from '../../../src/simulator/index.js';
import { createMemoryStore } from '../../../src/store/memory/index.js';
import { createLlamaTransport } from '../../../src/transport/llama/index.js';
import { storedSamples, suite } from '../helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

// The simulator's settings (jitter 0, so each request's time is exact at the server).
const SLOTS = 4;
const GEN_TPS = 100;
const TTFT_MS = 10;
const PROMPT_TPS = 20_000;
const BATCH_SLOWDOWN = 0.1;
const PROMPT = 32;
const OUTPUT = 16;

/** One request's time at the server with `busy` slots decoding: fixed cost, prompt, then 15 token gaps. */
function requestMs(busy: number): number {
  return TTFT_MS + (PROMPT / PROMPT_TPS) * 1000 + (OUTPUT - 1) * (1000 / GEN_TPS) * (1 + BATCH_SLOWDOWN * (busy - 1));
}
/** Saturation the settings imply: every slot busy, each request taking requestMs(SLOTS). ≈ 19.4 requests/s. */
const SATURATION_RPS = (SLOTS * 1000) / requestMs(SLOTS);
/**
 * Per wave of SLOTS requests, the client sees up to this much more than the settings: loopback round trip and
 * a new connection per request (llama-server closes it after each stream), the simulator's ~1 ms timer
 * granularity on its last token, and event-loop delay on a shared 2-core machine. As a share of a wave
 * (≈ 206 ms) that is the tolerance below; a client cannot measure more than the server can serve, so the
 * upper side only allows for rounding (2%).
 */
const WAVE_OVERHEAD_MS = 30;
const LOW_TOLERANCE = WAVE_OVERHEAD_MS / requestMs(SLOTS);

describe('sweep against the simulator', () => {
  it('finds the saturation point the slots and speeds imply, and goodput falls as the SLO tightens', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 2,
      models: [
        { name: 'm1', slots: SLOTS, genTps: GEN_TPS, ttftMs: TTFT_MS, promptTps: PROMPT_TPS, batchSlowdown: BATCH_SLOWDOWN, jitter: 0 },
      ],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 8 });
    const store = createMemoryStore();
    // An SLO a lone request meets easily (1.5× its time) but a queued one does not.
    const e2eSlo = 1.5 * requestMs(1);
    const result = await runBenchSuite(
      suite({
        concurrency: undefined,
        promptTokens: [PROMPT],
        maxTokens: [OUTPUT],
        sweep: { steps: 2, requests: 16, maxConcurrency: 8 },
        maxConcurrency: 8,
        slo: { e2eMs: e2eSlo, target: 0.9 },
      }),
      { transport, store },
    );
    await transport.close();
    expect(result.status).toBe('completed');
    const sweep = result.sweeps![0]!;
    expect(sweep.steps.map((s) => s.kind).slice(0, 2)).toEqual(['synchronous', 'throughput']);
    expect(result.cells).toHaveLength(sweep.steps.length);
    // One stream: one request at a time, each requestMs(1) ≈ 161.6 ms at the server.
    expect(sweep.synchronousRps!).toBeLessThanOrEqual((1000 / requestMs(1)) * 1.02);
    expect(sweep.synchronousRps!).toBeGreaterThan((1000 / requestMs(1)) * (1 - WAVE_OVERHEAD_MS / requestMs(1)));
    // The saturation point: within the stated tolerance of what the settings imply.
    expect(sweep.saturationRps!).toBeLessThanOrEqual(SATURATION_RPS * 1.02);
    expect(sweep.saturationRps!).toBeGreaterThan(SATURATION_RPS * (1 - LOW_TOLERANCE));
    expect(sim.stats().peakActive).toBe(SLOTS);
    // Rate steps lie between one stream and saturation, each its own cell keyed by its rate.
    const rates = sweep.steps.filter((s) => s.kind === 'rate');
    for (const s of rates) {
      expect(s.rate!).toBeGreaterThan(sweep.synchronousRps!);
      expect(s.rate!).toBeLessThan(sweep.saturationRps!);
      expect(result.cells.find((c) => c.rate === s.rate)?.load?.rate).toBe(s.rate);
    }
    expect(sweep.maxGoodRate).toBe(maxGoodRate(sweep.steps, 0.9));

    // Goodput against tighter and tighter SLOs, over the same stored samples: never rises, and falls from all
    // to none between a bound every request meets and one below a lone request's time.
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    const bounds = [10 * requestMs(SLOTS), 1.5 * requestMs(SLOTS), requestMs(SLOTS), requestMs(1), 0.5 * requestMs(1)];
    const shares = bounds.map((e2eMs) => measured.filter((s) => meetsSlo(s, { e2eMs, target: 0.9 })).length / measured.length);
    for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeLessThanOrEqual(shares[i - 1]!);
    expect(shares[0]).toBe(1);
    expect(shares.at(-1)).toBe(0);
    // Each cell's own goodput is the share of its samples within the suite's SLO.
    for (const cell of result.cells) {
      const mine = measured.filter((s) => s.concurrency === cell.concurrency && s.rate === cell.rate);
      expect(cell.goodput!.good).toBe(mine.filter((s) => meetsSlo(s, { e2eMs: e2eSlo, target: 0.9 })).length);
    }
  });
});

describe('sweep stopping on errors', () => {
  it('stops after the first step whose failures pass maxErrorRate, and says so', async () => {
    sim = await startSimulator({
      mode: 'llama-server',
      seed: 2,
      models: [{ name: 'm1', genTps: 2000, ttftMs: 1 }],
      faults: [{ kind: 'http-500', probability: 0.5 }],
    });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 4 });
    const result = await runBenchSuite(
      suite({ concurrency: undefined, maxTokens: [4], sweep: { steps: 3, requests: 12, maxConcurrency: 4 }, maxErrorRate: 0.05 }),
      { transport },
    );
    await transport.close();
    const sweep = result.sweeps![0]!;
    expect(sweep.stoppedBy).toBe('errors');
    expect(sweep.steps).toHaveLength(1);
    expect(sweep.steps[0]!.errorShare).toBeGreaterThan(0.05);
    expect(result.cells).toHaveLength(1);
  });
  it('announces as many measured requests as a completed sweep measures, its throughput step included', async () => {
    sim = await startSimulator({ mode: 'llama-server', seed: 2, models: [{ name: 'm1', slots: 4, genTps: 2000, ttftMs: 1, jitter: 0 }] });
    const transport = createLlamaTransport({ baseUrl: sim.url, kind: 'llama-server', connections: 8 });
    const store = createMemoryStore();
    let announced: number | undefined;
    // The throughput step runs 4 waves of 8 streams (32 requests), more than the 6 of the other steps: the
    // announced total once counted 6, and the progress ETA went negative.
    const result = await runBenchSuite(
      suite({
        concurrency: undefined,
        maxTokens: [4],
        warmup: 0,
        sweep: { steps: 1, requests: 6, maxConcurrency: 8, saturationShortfall: 0.99 },
      }),
      {
        transport,
        store,
        onEvent: (e) => {
          if (e.type === 'run-start') announced = e.requests;
        },
      },
    );
    await transport.close();
    expect(result.sweeps![0]!.stoppedBy).toBe('completed');
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(6 + 32 + 6);
    expect(announced).toBe(measured.length);
  });
});

describe('sweep decisions', () => {
  const step = (over: Partial<SweepStep>): SweepStep => ({
    kind: 'rate',
    concurrency: 8,
    achievedRps: 10,
    offeredRps: 10,
    e2eP50Ms: 100,
    ttftP50Ms: 10,
    errorShare: 0,
    ...over,
  });

  it('calls a step saturated only when throughput falls short of the offered rate while latency climbs', () => {
    const before = step({ e2eP50Ms: 100 });
    expect(isSaturated(before, step({ offeredRps: 20, achievedRps: 15, e2eP50Ms: 400 }), 0.1)).toBe(true);
    // Short, but latency did not climb: a noisy step, not a saturated host.
    expect(isSaturated(before, step({ offeredRps: 20, achievedRps: 15, e2eP50Ms: 90 }), 0.1)).toBe(false);
    // Latency climbed, but the host kept up with the offered rate.
    expect(isSaturated(before, step({ offeredRps: 20, achievedRps: 19.5, e2eP50Ms: 400 }), 0.1)).toBe(false);
  });

  it('reports the highest rate meeting the goodput target, counting one stream at its own rate', () => {
    const steps = [
      step({ kind: 'synchronous', concurrency: 1, achievedRps: 5, goodShare: 1 }),
      step({ kind: 'throughput', achievedRps: 20, goodShare: 0.2 }),
      step({ rate: 9, goodShare: 0.95 }),
      step({ rate: 14, goodShare: 0.85 }),
    ];
    expect(maxGoodRate(steps, 0.9)).toBe(9);
    expect(maxGoodRate(steps, 0.8)).toBe(14);
    expect(maxGoodRate(steps.slice(0, 2), 0.9)).toBe(5);
    expect(maxGoodRate(steps, undefined)).toBeNull();
  });
});
