/**
 * The records the store benchmarks write: a run as `runBenchSuite` stores it, and realistic samples (256
 * generated tokens: 256 ITL gaps of full float64 precision, as differences of performance.now() readings).
 */
import type { RunResult, Sample } from '@swapbench/core';

/** A deterministic generator (mulberry32): the same samples every time. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export function run(runId: string, startedAt = new Date().toISOString()): RunResult {
  return {
    runId,
    jobType: 'bench',
    host: { id: 'gpu-box', baseUrl: 'http://gpu-box:8080' },
    status: 'running',
    suite: { name: 'bench', models: ['qwen3-8b'], promptTokens: [512], maxTokens: [256], concurrency: [16] } as RunResult['suite'],
    startedAt,
    finishedAt: null,
    durationMs: null,
    cells: [],
    coldStarts: [],
    swaps: [],
    calibration: [],
    environment: {
      client: { swapbenchVersion: '0.1.0', node: process.version, platform: process.platform, arch: process.arch, cpus: '', cpuCount: 2 },
    },
    client: { clientSaturated: false, eventLoopDelayP99Ms: null, eventLoopDelayMaxMs: null, saturatedCells: 0 },
    errors: [],
    notes: [],
  };
}

export function sample(runId: string, seq: number, rand: () => number): Sample {
  // Gaps as the engine makes them: differences of clock readings, so 15 to 17 significant digits.
  let at = 1_000_000 + rand() * 1e6;
  const first = at;
  const itlMs: number[] = [];
  for (let k = 0; k < 256; k++) {
    const next = at + 6 + rand() * 12;
    itlMs.push(next - at);
    at = next;
  }
  const ttftMs = 150 + rand() * 100;
  return {
    runId,
    seq,
    model: 'qwen3-8b',
    promptTokens: 512,
    maxTokens: 256,
    concurrency: 16,
    phase: 'measured',
    startedAt: new Date().toISOString(),
    ok: true,
    requestId: `01J${seq.toString(36).padStart(10, '0')}`,
    queueMs: rand() * 0.2,
    ttfbMs: ttftMs - rand() * 5,
    ttftMs,
    e2eMs: ttftMs + (at - first),
    outputTokens: 257,
    itlMs,
    tpotMs: (at - first) / 256,
    genTps: 256_000 / (at - first),
    promptTokensActual: 512,
    server: {
      source: 'llama',
      promptTokens: 512,
      promptEvaluatedTokens: 512,
      cachedTokens: 0,
      promptMs: 140.2 + rand(),
      promptTps: 3600 + rand() * 50,
      generatedTokens: 256,
      generationMs: at - first,
      genTps: 256_000 / (at - first),
    },
    finishReason: 'length',
    responseId: `chatcmpl-${seq}`,
    flags: [],
  };
}
