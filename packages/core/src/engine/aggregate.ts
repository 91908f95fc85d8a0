import type { CellKey, CellResult, Sample } from '../result/types.js';
import { createCellAccumulator } from './cell-accumulator.js';
import { NO_LOOP_READING, type LoopDelay } from './client-health.js';

/**
 * Aggregate one cell's measured samples at once (e.g. read back from a store), with the rules and precision
 * of `createCellAccumulator`, which the engine feeds sample by sample. `wallMs` is the cell's wall time on
 * the monotonic clock, `planned` the requests it was to measure, `loop` the event-loop delay while it ran.
 */
export function aggregateCell(
  cell: CellKey,
  samples: Iterable<Sample>,
  wallMs: number,
  planned: number,
  loop: LoopDelay = NO_LOOP_READING,
): CellResult {
  const accumulator = createCellAccumulator();
  for (const sample of samples) accumulator.add(sample);
  return accumulator.result(cell, wallMs, planned, loop);
}
