import { describe, expect, it } from 'vitest';
import type { BenchEvent } from '../../src/engine/events.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { prng } from '../../src/util/rng.js';
import { storedSamples, suite } from './helpers.js';

const never = <T>(): Promise<T> => new Promise<T>(() => {});
const quick = () => ({ ttftMs: 1, interTokenMs: 1 });

// These use real timers on purpose: a plug-in that never settles is exactly what a virtual clock cannot show.
describe('deadlines: a plug-in that never answers cannot hang the run', () => {
  it('a tokenizer, model list and description that never settle are abandoned after requestTimeoutMs', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: quick, tokenizer: true });
    transport.tokenize = () => never();
    transport.listModels = () => never();
    transport.describe = () => never();
    const result = await runBenchSuite(suite({ requestTimeoutMs: 100 }), { transport, clock: clock.now });
    expect(result.status).toBe('completed');
    expect(result.calibration[0]!.method).toBe('estimate');
    expect(result.notes.join('\n')).toMatch(/could not list models: transport\.listModels did not answer within 100 ms/);
    expect(result.notes.join('\n')).toMatch(/tokenizer unavailable \(transport\.tokenize did not answer within 100 ms\)/);
  });

  it('a transport whose describe and runningModels throw (even synchronously) still gets measured', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: quick, tokenizer: true, running: [] });
    transport.describe = () => {
      throw new TypeError('describe blew up');
    };
    transport.runningModels = () => {
      throw new TypeError('running blew up');
    };
    const result = await runBenchSuite(suite(), { transport, clock: clock.now });
    expect(result.status).toBe('completed');
    expect(result.coldStarts).toEqual([{ model: 'm1', loadedBefore: undefined }]);
    expect(result.notes.join('\n')).not.toMatch(/unexpected error/);
  });

  it('a stream that never yields and ignores its signal is a REQUEST_TIMEOUT sample, and the run goes on', async () => {
    const clock = createVirtualClock();
    const fake = createFakeTransport({ clock, script: quick, tokenizer: true });
    let calls = 0;
    const stream = fake.stream.bind(fake);
    fake.stream = (request, o) => (calls++ === 0 ? { [Symbol.asyncIterator]: () => ({ next: () => never() }) } : stream(request, o));
    const result = await runBenchSuite(suite({ requestTimeoutMs: 100, maxErrorRate: 1 }), { transport: fake, clock: clock.now });
    expect(result.cells[0]).toMatchObject({ n: 2, errors: 1, errorCodes: { REQUEST_TIMEOUT: 1 } });
  });

  it('a store that never answers, or throws synchronously, loses no run and raises no unhandled rejection', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: quick, tokenizer: true });
    const hanging = createMemoryStore();
    hanging.runs.appendSamples = () => never();
    hanging.runs.finish = () => never();
    const slow = await runBenchSuite(suite(), { transport, clock: clock.now, store: hanging, storeTimeoutMs: 50 });
    expect(slow.status).toBe('completed');
    expect(slow.notes.join('\n')).toMatch(/could not store samples: store\.runs\.appendSamples did not answer within 50 ms/);
    expect(slow.notes.join('\n')).toMatch(/could not store the result: store\.runs\.finish did not answer within 50 ms/);

    const throwing = createMemoryStore();
    throwing.runs.appendSamples = () => {
      throw new Error('disk on fire');
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const result = await runBenchSuite(suite(), { transport, clock: clock.now, store: throwing });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(result.status).toBe('completed');
      expect(result.notes.join('\n')).toMatch(/could not store samples: disk on fire/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('settles soon after an abort even when the store and the transport hang', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, script: quick, tokenizer: true });
    transport.tokenize = () => never();
    const store = createMemoryStore();
    store.runs.finish = () => never();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    const started = performance.now();
    const result = await runBenchSuite(suite({ requestTimeoutMs: 60_000 }), {
      transport,
      clock: clock.now,
      store,
      signal: controller.signal,
    });
    // Bound: the abort is immediate for the hung tokenizer, then at most FINAL_WRITE_AFTER_ABORT_MS per final write.
    expect(performance.now() - started).toBeLessThan(50 + 2 * 2_000 + 1_000);
    expect(result.status).toBe('cancelled');
  });
});

describe('abort at random points', () => {
  it('always ends cancelled, with every request sent stored and nothing left in flight (60 seeds)', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = prng(seed);
      const clock = createVirtualClock();
      const loaded = new Set<string>();
      const transport = createFakeTransport({
        clock,
        kind: 'llama-swap',
        models: ['a', 'b'],
        running: [],
        tokenizer: true,
        script: (r, i) => {
          const cold = !loaded.has(r.model);
          loaded.add(r.model);
          return { ttftMs: (cold ? 50 : 2) + (i % 5), interTokenMs: 1 + (i % 3) };
        },
      });
      const store = createMemoryStore();
      const controller = new AbortController();
      // Abort after a random number of events: in preflight, a cold start, a swap, warmup or a cell.
      const abortAt = Math.floor(random() * 60);
      let events = 0;
      const result = await runBenchSuite(
        suite({ models: ['a', 'b'], concurrency: [1, 3], repetitions: 3, warmup: 1, swaps: 1, maxTokens: [6] }),
        {
          transport,
          clock: clock.now,
          store,
          signal: controller.signal,
          onEvent: (e: BenchEvent) => {
            // Warnings and run-done may come after the run has settled its status: not abort points.
            if (e.type === 'warning' || e.type === 'run-done') return;
            if (events++ === abortAt) controller.abort(new Error(`stop ${seed}`));
          },
        },
      );
      const samples = await storedSamples(store, result.runId);
      expect([seed, result.status]).toEqual([seed, controller.signal.aborted ? 'cancelled' : 'completed']);
      expect([seed, samples.length]).toEqual([seed, transport.calls.length]);
      expect([seed, transport.active]).toEqual([seed, 0]);
      expect([seed, (await store.runs.get(result.runId))?.status]).toEqual([seed, result.status]);
    }
  });
});
