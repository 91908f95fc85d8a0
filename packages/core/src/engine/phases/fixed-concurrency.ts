import type { CellKey } from '../../result/types.js';
import type { RunContext } from '../run-context.js';
import { runSlidingWindow } from '../sliding-window.js';

/**
 * The fixed-concurrency load of a cell: `repetitions × C` requests with exactly C in flight (a sliding
 * window, no barrier between waves). Stops starting requests when the run aborts.
 */
export function runFixedConcurrency(ctx: RunContext, cell: CellKey, sendOne: () => Promise<void>): Promise<void> {
  return runSlidingWindow(cell.concurrency * ctx.suite.repetitions, cell.concurrency, sendOne, ctx.stopSignal);
}
