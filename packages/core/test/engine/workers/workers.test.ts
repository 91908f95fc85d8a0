import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../../src/engine/run-bench-suite.js';
import { WORKER_CHANNEL } from '../../../src/engine/workers/pool.js';
import type { CellResult } from '../../../src/result/types.js';
import { createMemoryStore } from '../../../src/store/memory/index.js';
import { storedSamples, suite } from '../helpers.js';
import { hrClock, setUp, TTFT_MS } from './helpers.js';

// Worker threads run the built engine (dist/engine-worker.js): `pnpm build` comes before these tests.
let env: Awaited<ReturnType<typeof setUp>> | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** A loaded 2-core test machine can deliver a token this late; no client can see one early. */
const LATE_MS = 250;
/** Rounding of the clock conversions (hrtime ↔ performance.now, in doubles), ms. */
const EPSILON_MS = 0.05;
/**
 * The simulator stamps a token right after its write returns; a client on another core can read the bytes
 * in between (seen: 0.7 µs, and 9 ms when the simulator's thread was preempted there on a loaded machine).
 */
const WRITE_STAMP_MS = 25;
const ms = (hr: bigint) => Number(hr) / 1e6;

/** The shape of a cell: its keys, and its client self-check's, without the fields only workers add. */
function shape(cell: CellResult): string[] {
  const client = Object.keys(cell.client).filter((k) => k !== 'workers' && k !== 'workerLoopDelayP99Ms');
  return [...Object.keys(cell).sort(), ...client.sort().map((k) => `client.${k}`)];
}

describe('a cell on worker threads', () => {
  it('measures every request once, with the same result shape as on the main thread', async () => {
    env = await setUp();
    const store = createMemoryStore();
    const options = { transport: env.transport, store, workerTransport: env.workerTransport };
    const single = await runBenchSuite(suite({ concurrency: [6], repetitions: 3 }), options);
    const split = await runBenchSuite(suite({ concurrency: [6], repetitions: 3, workers: 2 }), options);
    expect(split.status).toBe('completed');
    const cell = split.cells[0]!;
    expect(shape(cell)).toEqual(shape(single.cells[0]!));
    expect(cell).toMatchObject({ n: 18, planned: 18, errors: 0, partial: false });
    expect(cell.client.workers).toBe(2);
    expect(cell.client.workerLoopDelayP99Ms).toHaveLength(2);
    const samples = (await storedSamples(store, split.runId)).filter((s) => s.phase === 'measured');
    expect(samples).toHaveLength(18);
    expect(samples.every((s) => s.ok && s.outputTokens === 8)).toBe(true);
    // Numbered by the main thread in order; request ids and nonces unique across threads.
    expect(new Set(samples.map((s) => s.seq)).size).toBe(18);
    expect(new Set(samples.map((s) => s.requestId)).size).toBe(18);
    const generations = env.sim.groundTruth.filter((g) => g.predictedTokens > 0);
    expect(generations.every((g) => g.cachedTokens === 0)).toBe(true);
  });

  it('sends each drawn prompt size exactly from the threads, below the mean too (the smallest size’s plan, padded up)', async () => {
    env = await setUp();
    const store = createMemoryStore();
    const result = await runBenchSuite(
      suite({ promptTokens: { mean: 64, stddev: 24, min: 24, max: 128 } as never, concurrency: [4], requests: 16, seed: 3, workers: 2 }),
      { transport: env.transport, store, workerTransport: env.workerTransport },
    );
    expect(result.status, JSON.stringify(result.error)).toBe('completed');
    const measured = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(measured).toHaveLength(16);
    // Sizes drawn below the mean are the ones a mean-sized plan would send too long.
    expect(measured.some((s) => s.requestPromptTokens! < 64)).toBe(true);
    for (const s of measured) {
      expect(s.promptTokensActual).toBe(s.requestPromptTokens);
      expect(s.flags).not.toContain('prompt-size-mismatch');
    }
  });

  it('stamps on the run clock from every thread: TTFT no less than the server took, tokens never before written', async () => {
    // The run's clock is the simulator's, so worker stamps compare with its record directly.
    env = await setUp(400, hrClock());
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ concurrency: [8], repetitions: 2, workers: 2, maxTokens: [16] }), {
      transport: env.transport,
      store,
      workerTransport: env.workerTransport,
      timelines: true,
    });
    expect(result.status).toBe('completed');
    const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    expect(samples).toHaveLength(16);
    for (const s of samples) {
      const truth = env.sim.groundTruth.find((g) => g.id === s.responseId)!;
      expect(s.ttftMs!).toBeGreaterThanOrEqual(TTFT_MS);
      expect(s.ttftMs!).toBeLessThan(TTFT_MS + LATE_MS);
      // The worker's stamps, on the run's clock, against the simulator's own record: written before the
      // simulator had the request, the first token no sooner than TTFT after it, no token long after its write.
      const { sentAt, tokenAt } = s.timeline!;
      expect(sentAt!).toBeLessThanOrEqual(ms(truth.arrivedAt) + EPSILON_MS);
      expect(sentAt!).toBeGreaterThan(ms(truth.arrivedAt) - LATE_MS);
      expect(tokenAt[0]!).toBeGreaterThanOrEqual(ms(truth.arrivedAt) + TTFT_MS - EPSILON_MS);
      for (const [k, at] of tokenAt.entries()) {
        expect(at).toBeGreaterThanOrEqual(ms(truth.tokenWrites[k]!) - WRITE_STAMP_MS);
        expect(at).toBeLessThan(ms(truth.tokenWrites[k]!) + LATE_MS);
      }
    }
  });

  it('reads the main thread clock in a worker: between two main-thread readings around it', async () => {
    const src = new URL('../../../src/engine/workers/worker-clock.ts', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.src).then(({ mainThreadClock }) => {
         const clock = mainThreadClock(workerData.origin, 0);
         parentPort.on('message', () => parentPort.postMessage(clock()));
         parentPort.postMessage('ready');
       });`,
      { eval: true, workerData: { src, origin: performance.timeOrigin } },
    );
    try {
      await new Promise((resolve) => worker.once('message', resolve));
      for (let i = 0; i < 20; i++) {
        const before = performance.now();
        worker.postMessage('now');
        const at = await new Promise<number>((resolve) => worker.once('message', resolve));
        const after = performance.now();
        expect(at).toBeGreaterThanOrEqual(before - EPSILON_MS);
        expect(at).toBeLessThanOrEqual(after + EPSILON_MS);
      }
    } finally {
      await worker.terminate();
    }
  });

  it('stops on abort: requests in flight on the workers are cancelled and the run ends', async () => {
    env = await setUp(50);
    const store = createMemoryStore();
    const controller = new AbortController();
    let seen = 0;
    const result = await runBenchSuite(suite({ concurrency: [8], repetitions: 4, workers: 2, maxTokens: [32] }), {
      transport: env.transport,
      store,
      workerTransport: env.workerTransport,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'sample' && ++seen === 8) controller.abort(new Error('stop now'));
      },
    });
    expect(result.status).toBe('cancelled');
    const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
    const cancelled = samples.filter((s) => s.error?.code === 'CANCELLED');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(samples.length).toBeLessThan(32);
    expect(cancelled.every((s) => s.error!.message.includes('stop now'))).toBe(true);
  });

  it('a worker killed mid-cell loses only its requests in flight: stored cancelled, the cell partial, no hang', async () => {
    env = await setUp(100);
    const store = createMemoryStore();
    const threads: Worker[] = [];
    const onStart = (message: unknown) => threads.push((message as { worker: Worker }).worker);
    subscribe(WORKER_CHANNEL, onStart);
    let seen = 0;
    try {
      const result = await runBenchSuite(suite({ concurrency: [8], repetitions: 3, workers: 2, maxTokens: [16], maxErrorRate: 0.5 }), {
        transport: env.transport,
        store,
        workerTransport: env.workerTransport,
        onEvent: (e) => {
          if (e.type === 'sample' && ++seen === 4) void threads[0]!.terminate();
        },
      });
      const cell = result.cells[0]!;
      expect(cell.partial).toBe(true);
      const samples = (await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured');
      const lost = samples.filter((s) => s.error?.code === 'CANCELLED');
      // Worker 0 had 4 lanes: at most 4 requests in flight when it died; the other worker took the rest.
      expect(lost.length).toBeGreaterThan(0);
      expect(lost.length).toBeLessThanOrEqual(4);
      expect(lost.every((s) => s.error!.message.startsWith('worker thread 0 exited'))).toBe(true);
      expect(samples.filter((s) => s.ok).length + lost.length).toBe(samples.length);
      expect(samples.length).toBeGreaterThanOrEqual(24 - 4);
      expect(cell.n).toBe(samples.length);
      expect(result.notes.some((n) => n.includes('worker thread 0 exited'))).toBe(true);
    } finally {
      unsubscribe(WORKER_CHANNEL, onStart);
    }
  });

  it('refuses workers without the options worker threads build their transport from', async () => {
    env = await setUp();
    await expect(runBenchSuite(suite({ workers: 2 }), { transport: env.transport })).rejects.toThrow(
      /workers: is 2, but runBenchSuite was given no `workerTransport`/,
    );
  });
});
