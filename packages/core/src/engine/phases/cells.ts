import type { CellKey } from '../../result/types.js';
import { loadShapeSize } from '../../suite/load-checks.js';
import type { Suite } from '../../suite/schema.js';
import { sizePairs } from '../../suite/size-pairs.js';
import { mix } from '../../util/rng.js';
import { runSweep } from '../load/sweep.js';
import type { RunContext } from '../run-context.js';
import { cellRequests } from './fixed-concurrency.js';
import { type CellLoad, measureCell } from './measure-cell.js';
import type { PreparedModel } from './prepare-model.js';

export { cellName } from './measure-cell.js';

/**
 * The grid cells of one model, in the order they run: prompt size, then output length, then the
 * concurrency levels (closed loop), then the rates (open loop, capped at `maxConcurrency` in flight).
 */
export function modelCells(suite: Suite, model: string): CellKey[] {
  const cells: CellKey[] = [];
  for (const { promptTokens, maxTokens } of sizePairs(suite)) {
    for (const concurrency of suite.concurrency) cells.push({ model, promptTokens, maxTokens, concurrency });
    for (const rate of suite.rate ?? []) cells.push({ model, promptTokens, maxTokens, concurrency: suite.maxConcurrency, rate });
  }
  return cells;
}

/** Cells of one model, sweep steps included (all of them: a sweep that stops early runs fewer). */
export function modelCellCount(suite: Suite): number {
  const sweepSteps = suite.sweep ? suite.sweep.steps + 2 : 0;
  return modelCells(suite, '').length + sizePairs(suite).length * sweepSteps;
}

/** Cells in the whole run, and measured requests (warmups, cold starts and swaps not counted; sweeps at most). */
export function runSize(suite: Suite): { cells: number; requests: number } {
  const perModel = modelCells(suite, '');
  const sweep = suite.sweep ? loadShapeSize({ ...suite, rate: undefined }) : { cells: 0, requests: 0 };
  const pairs = sizePairs(suite).length;
  return {
    cells: modelCellCount(suite) * suite.models.length,
    requests: (perModel.reduce((a, c) => a + cellRequests(suite, c), 0) + pairs * sweep.requests) * suite.models.length,
  };
}

/** How a grid cell's requests are sent. */
export function gridCellLoad(suite: Suite, cell: CellKey): CellLoad {
  const requests = cellRequests(suite, cell);
  if (cell.rate === undefined) return { kind: 'closed', requests };
  // The same cell gets the same schedule in every run of the suite: two runs offer the same load.
  const seed = mix(suite.seed, cell.promptTokens, cell.maxTokens, Math.round(cell.rate * 1000));
  return {
    kind: 'open',
    plan: { count: requests, rate: cell.rate, arrivals: suite.arrivals, seed, maxConcurrency: cell.concurrency },
  };
}

/**
 * Measure a prepared model's cells one after the other (see `measureCell`), then its sweeps, one per prompt
 * size × output length. `firstIndex` is the index of the model's first cell in the run.
 */
export async function runModelCells(ctx: RunContext, prepared: PreparedModel, firstIndex: number, total: number): Promise<void> {
  const cells = modelCells(ctx.suite, prepared.model);
  let index = firstIndex;
  for (const cell of cells) {
    if (ctx.stopSignal.aborted) return;
    await measureCell(ctx, prepared, cell, gridCellLoad(ctx.suite, cell), { index: index++, total });
  }
  const { sweep } = ctx.suite;
  if (!sweep) return;
  for (const promptTokens of ctx.suite.promptTokens) {
    for (const maxTokens of ctx.suite.maxTokens) {
      if (ctx.stopSignal.aborted) return;
      const summary = await runSweep(ctx, prepared, { promptTokens, maxTokens }, { index, total });
      index += sweep.steps + 2;
      ctx.result.sweeps = [...(ctx.result.sweeps ?? []), summary];
    }
  }
}
