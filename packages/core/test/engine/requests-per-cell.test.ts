import { describe, expect, it } from 'vitest';
import type { BenchEvent } from '../../src/engine/events.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { storedSamples, suite } from './helpers.js';

describe('requests per cell', () => {
  it('measures that many requests in every cell, whatever its concurrency, with at most that many in flight', async () => {
    const clock = createVirtualClock();
    const peaks: number[] = [];
    const transport = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 5, interTokenMs: 2 }) });
    const events: BenchEvent[] = [];
    const store = createMemoryStore();
    const result = await runBenchSuite(suite({ concurrency: [2, 8], requests: 5, repetitions: 10 }), {
      transport,
      clock: clock.now,
      store,
      onEvent: (e) => {
        events.push(e);
        // The most requests in flight so far, read as each cell ends.
        if (e.type === 'cell-done') peaks.push(transport.peakActive);
      },
    });
    expect(result.status).toBe('completed');
    expect(result.cells.map((c) => [c.concurrency, c.n, c.planned, c.partial])).toEqual([
      [2, 5, 5, false],
      [8, 5, 5, false],
    ]);
    expect(transport.calls).toHaveLength(10);
    expect((await storedSamples(store, result.runId)).filter((s) => s.phase === 'measured')).toHaveLength(10);
    // c2 keeps 2 in flight; c8 with 5 requests can only have 5.
    expect(peaks).toEqual([2, 5]);
    expect(events.find((e) => e.type === 'run-start')).toMatchObject({ cells: 2, requests: 10 });
  });

  it('still runs repetitions × concurrency when absent', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 5, interTokenMs: 2 }) });
    const result = await runBenchSuite(suite({ concurrency: [1, 3], repetitions: 2 }), { transport, clock: clock.now });
    expect(result.cells.map((c) => [c.n, c.planned])).toEqual([
      [2, 2],
      [6, 6],
    ]);
  });
});
