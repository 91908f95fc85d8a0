/**
 * Realistic records for store tests: a run as `runBenchSuite` stores it when it starts and when it finishes,
 * a cell aggregate, measured and failed samples, and a check for a store's error code.
 */
import { expect } from 'vitest';
import { computeStats } from '../../src/engine/stats.js';
import { SwapbenchError } from '../../src/errors/index.js';
import type { CellResult, RunResult, Sample } from '../../src/result/types.js';
import { parseSuite } from '../../src/suite/load-suite.js';
import type { SuiteInput } from '../../src/suite/schema.js';

export const SUITE_INPUT: SuiteInput = {
  name: 'suite-a',
  models: ['qwen3-8b'],
  promptTokens: [512],
  maxTokens: [128],
  concurrency: [1, 4],
};

/** A realistic run record, as `runBenchSuite` stores it when it starts. */
export function makeRun(runId: string, overrides: Partial<RunResult> = {}): RunResult {
  return {
    runId,
    jobType: 'bench',
    host: { id: 'gpu-box', baseUrl: 'http://gpu-box:8080' },
    status: 'running',
    suite: parseSuite(SUITE_INPUT),
    startedAt: '2026-11-24T10:00:00.000Z',
    finishedAt: null,
    durationMs: null,
    cells: [],
    coldStarts: [{ model: 'qwen3-8b', loadedBefore: false, coldStartMs: 2350.5 }],
    swaps: [],
    calibration: [{ model: 'qwen3-8b', method: 'tokenizer' }],
    environment: {
      client: { swapbenchVersion: '0.1.0', node: 'v24.3.0', platform: 'linux', arch: 'x64', cpus: 'AMD Ryzen 9 7950X', cpuCount: 32 },
      server: {
        kind: 'llama-server',
        baseUrl: 'http://gpu-box:8080',
        models: [{ id: 'qwen3-8b', build: 'b10470', contextPerSlot: 8192, slots: 4 }],
        raw: {},
      },
      capabilities: ['tokenize', 'applyTemplate', 'describe', 'probeActivity'],
    },
    client: { clientSaturated: false, eventLoopDelayP99Ms: 1.2, eventLoopDelayMaxMs: 3.4, saturatedCells: 0 },
    errors: [],
    notes: ['prompt sizes calibrated with /tokenize'],
    ...overrides,
  };
}

/** The same run as `finish` stores it: completed, with one aggregated cell. */
export function makeFinishedRun(runId: string, overrides: Partial<RunResult> = {}): RunResult {
  return makeRun(runId, {
    status: 'completed',
    finishedAt: '2026-11-24T10:01:00.000Z',
    durationMs: 60_000,
    cells: [makeCell()],
    ...overrides,
  });
}

/** A realistic cell aggregate. */
export function makeCell(): CellResult {
  return {
    model: 'qwen3-8b',
    promptTokens: 512,
    maxTokens: 128,
    concurrency: 1,
    n: 3,
    errors: 1,
    errorCodes: { HTTP_STATUS: 1 },
    planned: 3,
    resent: 0,
    partial: false,
    ttftMs: computeStats([210.5, 221, 230.25]),
    e2eMs: computeStats([1714.7, 1730, 1755.2]),
    itlMs: computeStats([11.75, 11.8, 12.1, 0, 11.6]),
    tpotMs: computeStats([11.84, 11.9, 12.0]),
    genTps: computeStats([84.4, 84.0, 83.3]),
    serverGenTps: computeStats([85.1, 84.9]),
    serverPromptTps: computeStats([2421.9, 2430.2]),
    throughputTps: 83.9,
    wallMs: 5210.4,
    flags: { 'warm-cache': 1 },
    client: { saturated: false, eventLoopDelayP99Ms: 0.8, eventLoopDelayMaxMs: 2.1, clientWaitRequests: 0, queueP99Ms: 0.2 },
  };
}

/** A realistic measured sample of a 512-token prompt and 128 generated tokens. */
export function makeSample(runId: string, seq: number, overrides: Partial<Sample> = {}): Sample {
  return {
    runId,
    seq,
    model: 'qwen3-8b',
    promptTokens: 512,
    maxTokens: 128,
    concurrency: 1,
    phase: 'measured',
    startedAt: `2026-11-24T10:00:${String(10 + seq).padStart(2, '0')}.000Z`,
    ok: true,
    ttfbMs: 3.5 + seq,
    ttftMs: 212.4 + seq,
    e2eMs: 1716.6 + seq,
    outputTokens: 128,
    itlMs: [11.75, 11.8, 0, 12.1],
    tpotMs: 11.84,
    genTps: 84.4,
    promptTokensActual: 512,
    server: {
      source: 'llama',
      promptTokens: 512,
      promptEvaluatedTokens: 512,
      cachedTokens: 0,
      promptMs: 211.4,
      promptTps: 2421.9,
      generatedTokens: 128,
      generationMs: 1504.2,
      genTps: 84.4,
    },
    finishReason: 'length',
    responseId: `chatcmpl-${runId}-${seq}`,
    flags: [],
    ...overrides,
  };
}

/** A failed sample, as the engine stores one. */
export function makeFailedSample(runId: string, seq: number): Sample {
  const { ttfbMs: _a, ttftMs: _b, e2eMs: _c, tpotMs: _d, genTps: _e, finishReason: _f, responseId: _g, ...rest } = makeSample(runId, seq);
  return {
    ...rest,
    ok: false,
    error: { code: 'HTTP_STATUS', message: 'HTTP 500 from http://gpu-box:8080/v1/chat/completions' },
    outputTokens: 0,
    itlMs: [],
    server: { source: 'none' },
  };
}

/** Await a rejection and check it is a SwapbenchError with this code. */
export async function expectStoreError(promise: Promise<unknown>, code: string): Promise<SwapbenchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(SwapbenchError.is(err), `expected a SwapbenchError ${code}, got ${String(err)}`).toBe(true);
  expect((err as SwapbenchError).code).toBe(code);
  return err as SwapbenchError;
}
