import { describe, expect, it } from 'vitest';
import { createErrorTally, DISTINCT_MESSAGES_KEPT } from '../../src/engine/error-tally.js';
import type { Sample } from '../../src/result/types.js';

const failed = (message: string, concurrency = 1, status = 500): Sample => ({
  runId: 'r',
  seq: 0,
  model: 'm',
  promptTokens: 32,
  maxTokens: 8,
  concurrency,
  phase: 'measured',
  startedAt: new Date(0).toISOString(),
  ok: false,
  error: { code: 'HTTP_STATUS', status, message },
  outputTokens: 0,
  itlMs: [],
  server: { source: 'none' },
  flags: [],
});

describe('the error tally', () => {
  it('lists each distinct error once with its count and cells', () => {
    const tally = createErrorTally();
    for (const c of [1, 1, 2]) tally.add(failed('boom', c));
    tally.add(failed('other'));
    expect(tally.summary()).toEqual([
      expect.objectContaining({
        message: 'boom',
        count: 3,
        cells: [expect.objectContaining({ concurrency: 1 }), expect.objectContaining({ concurrency: 2 })],
      }),
      expect.objectContaining({ message: 'other', count: 1 }),
    ]);
  });

  it('lists a failed warmup, cold start or swap under its model, not under the one-stream cell it borrowed its sizes from', () => {
    const tally = createErrorTally();
    tally.add({ ...failed('cut'), phase: 'warmup' });
    tally.add({ ...failed('cut'), phase: 'swap', model: 'n' });
    tally.add({ ...failed('cut'), phase: 'warmup' });
    tally.add(failed('cut', 2));
    expect(tally.summary()).toEqual([
      expect.objectContaining({ message: 'cut', count: 4, cells: [expect.objectContaining({ concurrency: 2 })], beforeCells: ['m', 'n'] }),
    ]);
  });

  it('stays bounded when every request fails with its own message, and still counts every failure', () => {
    const tally = createErrorTally();
    for (let i = 0; i < 10_000; i++) tally.add(failed(`request ${i} failed after ${i * 1.5} ms`, 1 + (i % 3)));
    tally.add(failed('a 503', 1, 503));
    const summary = tally.summary();
    // One entry per kept message, one for the rest of HTTP 500, one for the HTTP 503.
    expect(summary).toHaveLength(DISTINCT_MESSAGES_KEPT + 2);
    expect(summary.reduce((a, e) => a + e.count, 0)).toBe(10_001);
    expect(summary[0]).toMatchObject({ code: 'HTTP_STATUS', status: 500, count: 10_000 - DISTINCT_MESSAGES_KEPT });
    expect(summary[0]!.message).toMatch(/other messages/);
    expect(summary[0]!.cells).toHaveLength(3);
    expect(summary.find((e) => e.status === 503)).toMatchObject({ message: 'a 503', count: 1 });
  });
  it('keeps open-loop cells apart by their rate, not as one cell at their shared in-flight cap', () => {
    const tally = createErrorTally();
    for (const rate of [1, 2, 2, 4]) tally.add({ ...failed('boom', 64), rate });
    tally.add(failed('boom', 64));
    expect(tally.summary()[0]!.cells.map((c) => [c.concurrency, c.rate])).toEqual([
      [64, 1],
      [64, 2],
      [64, 4],
      [64, undefined],
    ]);
  });
});
