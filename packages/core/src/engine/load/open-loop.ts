import { arrivalSchedule, type ArrivalProcess } from './arrivals.js';

/** One open-loop load: how many requests, at what rate, how they arrive, and how many may be in flight. */
export interface OpenLoopPlan {
  count: number;
  /** Requests per second. */
  rate: number;
  arrivals: ArrivalProcess;
  seed: number;
  /** Most requests in flight; a request due while this many are waits (it starts late). */
  maxConcurrency: number;
}

/** What the scheduler hands each request: its index and when it was due on the run's clock. */
export type ScheduledTask = (index: number, scheduledAt: number) => Promise<void>;

/**
 * Below this, a due time is waited for by yielding to the event loop (setImmediate) rather than with a timer:
 * Node's timers fire up to ~1 ms late, which at 1,000 requests/s is a whole gap.
 */
const SPIN_BELOW_MS = 2;

/**
 * Start `plan.count` tasks at their scheduled times (open loop: a request does not wait for another to end),
 * never more than `maxConcurrency` at once. A task due while the cap is reached starts when one ends, late:
 * its `scheduledAt` stays the planned time, so latency counted from it includes the wait. Stops starting tasks
 * when `signal` aborts; resolves when every started task has ended. Tasks must not reject.
 */
export async function runOpenLoop(plan: OpenLoopPlan, clock: () => number, task: ScheduledTask, signal?: AbortSignal): Promise<void> {
  const schedule = arrivalSchedule(plan.count, plan.rate, plan.arrivals, plan.seed);
  const t0 = clock();
  const running = new Set<Promise<void>>();
  let freed: (() => void) | undefined;
  for (let i = 0; i < plan.count && !signal?.aborted; i++) {
    const due = t0 + schedule[i]!;
    await waitUntil(due, clock, signal);
    while (running.size >= plan.maxConcurrency && !signal?.aborted) await new Promise<void>((resolve) => (freed = resolve));
    if (signal?.aborted) break;
    const p: Promise<void> = task(i, due).finally(() => {
      running.delete(p);
      freed?.();
      freed = undefined;
    });
    running.add(p);
  }
  await Promise.all(running);
}

/** Resolve at `due` on `clock`: a timer for most of the wait, then yields to the event loop for the rest. */
async function waitUntil(due: number, clock: () => number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const left = due - clock();
    if (left <= 0 || signal?.aborted) return;
    if (left > SPIN_BELOW_MS) await sleep(left - SPIN_BELOW_MS, signal);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A timer that ends early when `signal` aborts (a slow rate must not hold a cancelled run). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
