import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  cellClientHealth,
  NO_LOOP_READING,
  rollUpClientHealth,
  SATURATION_CLIENT_WAIT_SHARE,
  SATURATION_P99_MS,
} from '../../src/engine/client-health.js';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import type { CellResult } from '../../src/result/types.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import type { VirtualClock } from '../../src/testing/virtual-clock.js';
import { suite } from './helpers.js';

/**
 * The loop monitor reads real time, so these cells run on it: the fake server sleeps on real timers (a
 * cell of 6 requests × ~60 ms, ~15 readings of the monitor) instead of the virtual clock's instant jumps.
 */
const realClock: VirtualClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
};

/** Hold the event loop, as a client too busy to read its sockets would. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('client health per cell', () => {
  it('reads an idle loop as about 0 ms of delay, and a loop blocked in one cell as that cell saturated', async () => {
    // tg4 cells wait on timers only; in tg8 cells the fake server holds the loop 60 ms per request.
    const transport = createFakeTransport({
      clock: realClock,
      tokenizer: true,
      script: (request) => {
        if (request.maxTokens === 8) busyWait(60);
        return { ttftMs: 10, interTokenMs: 12 };
      },
    });
    const result = await runBenchSuite(suite({ maxTokens: [4, 8], repetitions: 6 }), { transport, clock: realClock.now });
    expect(result.status).toBe('completed');
    const [idle, blocked] = result.cells as [CellResult, CellResult];

    expect(idle.client.saturated).toBe(false);
    expect(idle.client.eventLoopDelayP99Ms).not.toBeNull();
    // The monitor's own interval is subtracted: an idle loop reads near 0, far under the threshold.
    expect(idle.client.eventLoopDelayP99Ms!).toBeGreaterThanOrEqual(0);
    expect(idle.client.eventLoopDelayP99Ms!).toBeLessThan(SATURATION_P99_MS);

    expect(blocked.client.saturated).toBe(true);
    expect(blocked.client.eventLoopDelayP99Ms!).toBeGreaterThan(SATURATION_P99_MS);
    expect(blocked.client.eventLoopDelayMaxMs!).toBeGreaterThanOrEqual(blocked.client.eventLoopDelayP99Ms!);

    expect(result.client).toEqual({
      clientSaturated: true,
      saturatedCells: 1,
      eventLoopDelayP99Ms: blocked.client.eventLoopDelayP99Ms,
      eventLoopDelayMaxMs: blocked.client.eventLoopDelayMaxMs,
    });
    const note = result.notes.find((n) => n.startsWith('client saturated'));
    expect(note).toMatch(/^client saturated in 1 of 2 cell\(s\).*: m1 pp32 tg8 c1 \(event-loop delay p99 \d+\.\d ms, max \d+\.\d ms\)$/);
  });
});

/** A cell's loop reading: a long cell (p99 judged) unless `count` says otherwise. */
const loop = (p99Ms: number | null, maxMs: number | null, count = 200, p90Ms = p99Ms) => ({ p90Ms, p99Ms, maxMs, count });

describe('the saturation rule', () => {
  it('marks a cell saturated when more than 1% of its requests waited in the client, whatever the loop did', () => {
    const limit = Math.floor(200 * SATURATION_CLIENT_WAIT_SHARE);
    expect(cellClientHealth(loop(0.4, 2), 200, limit, 3).saturated).toBe(false);
    expect(cellClientHealth(loop(0.4, 2), 200, limit + 1, 30)).toEqual({
      saturated: true,
      eventLoopDelayP99Ms: 0.4,
      eventLoopDelayMaxMs: 2,
      clientWaitRequests: limit + 1,
      queueP99Ms: 30,
    });
    expect(cellClientHealth(NO_LOOP_READING, 0, 0, null).saturated).toBe(false);
  });

  it('marks a cell saturated when its loop delay p99 is above the threshold', () => {
    expect(cellClientHealth(loop(SATURATION_P99_MS, 40), 10, 0, null).saturated).toBe(false);
    expect(cellClientHealth(loop(SATURATION_P99_MS + 0.1, 40), 10, 0, null).saturated).toBe(true);
  });

  it('judges a short cell by its p90, not by its one longest stall, and a very short one not at all', () => {
    // 30 readings (0.6 s), one 15 ms stall: p99 is the stall, p90 is not.
    expect(cellClientHealth(loop(15, 15, 30, 0.5), 4, 0, null).saturated).toBe(false);
    // A stall in more than a tenth of the readings.
    expect(cellClientHealth(loop(40, 60, 30, 25), 4, 0, null).saturated).toBe(true);
    expect(cellClientHealth(loop(40, 60, 9, 40), 4, 0, null).saturated).toBe(false);
  });

  it('needs a few requests, not one, to have waited in the client', () => {
    expect(cellClientHealth(loop(0.4, 2), 2, 1, 19).saturated).toBe(false);
    expect(cellClientHealth(loop(0.4, 2), 20, 3, 19).saturated).toBe(true);
  });

  it('rolls the cells up into the worst one, counting the saturated cells', () => {
    const cell = (p99Ms: number | null, maxMs: number | null, wait: number) =>
      ({ n: 100, client: cellClientHealth(loop(p99Ms, maxMs), 100, wait, null) }) as CellResult;
    expect(rollUpClientHealth([cell(1, 30, 0), cell(null, null, 5), cell(12, 14, 0)])).toEqual({
      clientSaturated: true,
      saturatedCells: 2,
      eventLoopDelayP99Ms: 12,
      eventLoopDelayMaxMs: 30,
    });
    expect(rollUpClientHealth([])).toEqual({
      clientSaturated: false,
      saturatedCells: 0,
      eventLoopDelayP99Ms: null,
      eventLoopDelayMaxMs: null,
    });
  });
});
