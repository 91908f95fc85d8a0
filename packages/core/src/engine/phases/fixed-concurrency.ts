import type { CellKey } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import type { RunContext } from '../run-context.js';
import { runSlidingWindow } from '../sliding-window.js';

/** Measured requests of a cell: the suite's `requests`, or `repetitions × C`. */
export function cellRequests(suite: Pick<Suite, 'requests' | 'repetitions'>, cell: Pick<CellKey, 'concurrency'>): number {
  return suite.requests ?? suite.repetitions * cell.concurrency;
}

/**
 * The fixed-concurrency load of a cell: its requests (`cellRequests`) with exactly C in flight (a sliding
 * window, no barrier between waves; fewer when the cell has fewer requests than C). Stops starting requests
 * when the run aborts.
 */
export function runFixedConcurrency(ctx: RunContext, cell: CellKey, sendOne: () => Promise<void>): Promise<void> {
  return runSlidingWindow(cellRequests(ctx.suite, cell), cell.concurrency, sendOne, ctx.stopSignal);
}
