import { describe, expect, it } from 'vitest';
import { runSlidingWindow } from '../../src/engine/sliding-window.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';

describe('runSlidingWindow', () => {
  it('keeps exactly C tasks in flight and starts a new one while the slowest earlier one still runs', async () => {
    const clock = createVirtualClock();
    let active = 0;
    let peak = 0;
    const spans: Array<{ start: number; end: number }> = [];
    // Task 0 is slow (100 ms), the rest are quick (10 ms): batching would stall everything behind task 0.
    await runSlidingWindow(12, 4, async (i) => {
      active++;
      peak = Math.max(peak, active);
      const start = clock.now();
      await clock.sleep(i === 0 ? 100 : 10);
      spans[i] = { start, end: clock.now() };
      active--;
    });
    expect(peak).toBe(4);
    expect(spans).toHaveLength(12);
    // Task 4 (the first of a would-be second batch) starts before slow task 0 ends.
    expect(spans[4]!.start).toBeLessThan(spans[0]!.end);
    // With no barrier, the 11 quick tasks run on 3 workers while task 0 runs: all done by 40 ms except task 0.
    expect(Math.max(...spans.slice(1).map((s) => s.end))).toBe(40);
  });

  it('lets the event loop turn every few lanes while it starts many, so answers that arrive meanwhile are read', async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const turnedBefore: boolean[] = [];
    await runSlidingWindow(32, 32, async (i) => {
      turnedBefore[i] = turned;
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    // The first lanes go out in one turn (a short burst); the loop has had a turn before the last ones.
    expect(turnedBefore.slice(0, 8)).toEqual(Array(8).fill(false));
    expect(turnedBefore[31]).toBe(true);
  });

  it('runs every task once when C exceeds the task count', async () => {
    const seen: number[] = [];
    await runSlidingWindow(3, 10, async (i) => void seen.push(i));
    expect(seen.sort()).toEqual([0, 1, 2]);
  });

  it('takes no new task after the signal aborts', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await runSlidingWindow(
      10,
      2,
      async (i) => {
        seen.push(i);
        if (i === 3) controller.abort();
      },
      controller.signal,
    );
    expect(seen).toEqual([0, 1, 2, 3]);
  });
});
