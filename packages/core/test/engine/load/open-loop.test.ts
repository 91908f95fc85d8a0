import { describe, expect, it } from 'vitest';
import { arrivalSchedule } from '../../../src/engine/load/arrivals.js';
import { runOpenLoop } from '../../../src/engine/load/open-loop.js';

const clock = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runOpenLoop', () => {
  it('starts every request at or after its due time, on the seeded schedule, without waiting for others to end', async () => {
    const plan = { count: 40, rate: 200, arrivals: 'poisson' as const, seed: 9, maxConcurrency: 64 };
    const starts: Array<{ i: number; due: number; at: number }> = [];
    let active = 0;
    let peak = 0;
    await runOpenLoop(plan, clock, async (i, due) => {
      starts.push({ i, due, at: clock() });
      active++;
      peak = Math.max(peak, active);
      // Each request lasts 50 ms, ten mean gaps: a closed loop would have one in flight.
      await sleep(50);
      active--;
    });
    expect(starts.map((s) => s.i)).toEqual([...Array(40).keys()]);
    const schedule = arrivalSchedule(plan.count, plan.rate, plan.arrivals, plan.seed);
    const t0 = starts[0]!.due;
    for (const s of starts) {
      // Due times are the schedule's, and nothing starts early (no tolerance needed for a lower bound).
      expect(s.due - t0).toBeCloseTo(schedule[s.i]!, 6);
      expect(s.at).toBeGreaterThanOrEqual(s.due);
    }
    expect(peak).toBeGreaterThan(1);
  });

  it('never has more than maxConcurrency in flight; a request held back keeps its due time, so it shows as late', async () => {
    const plan = { count: 12, rate: 1000, arrivals: 'constant' as const, seed: 1, maxConcurrency: 3 };
    let active = 0;
    let peak = 0;
    const lags: number[] = [];
    await runOpenLoop(plan, clock, async (_i, due) => {
      lags.push(clock() - due);
      active++;
      peak = Math.max(peak, active);
      await sleep(30);
      active--;
    });
    expect(peak).toBe(3);
    expect(lags).toHaveLength(12);
    // The 4th request is due at 3 ms but waits for one of the first three (30 ms each) to end.
    expect(lags[3]).toBeGreaterThanOrEqual(30 - 3 - 1);
  });

  it('starts nothing more once the signal aborts, and ends a long wait for the next arrival at once', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const t0 = clock();
    // One request per 10 s: without the abort, the second would start 10 s later.
    await runOpenLoop(
      { count: 3, rate: 0.1, arrivals: 'constant', seed: 1, maxConcurrency: 4 },
      clock,
      async (i) => {
        started.push(i);
        setTimeout(() => controller.abort(), 20);
      },
      controller.signal,
    );
    expect(started).toEqual([0]);
    expect(clock() - t0).toBeLessThan(5000);
  });
});
