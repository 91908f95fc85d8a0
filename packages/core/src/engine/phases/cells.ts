import type { CellKey, Sample } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import { aggregateCell } from '../aggregate.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import { runFixedConcurrency } from './fixed-concurrency.js';
import { primeCache } from './prime-cache.js';
import type { PreparedModel } from './prepare-model.js';

/** `model pp512 tg128 c4`: a cell as reports and warnings name it. */
export function cellName(c: CellKey): string {
  return `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`;
}

/** The cells of one model, in the order they run: prompt size, then output length, then concurrency. */
export function modelCells(suite: Suite, model: string): CellKey[] {
  const cells: CellKey[] = [];
  for (const promptTokens of suite.promptTokens) {
    for (const maxTokens of suite.maxTokens) {
      for (const concurrency of suite.concurrency) cells.push({ model, promptTokens, maxTokens, concurrency });
    }
  }
  return cells;
}

/** Cells in the whole run, and measured requests (warmups, cold starts and swaps not counted). */
export function runSize(suite: Suite): { cells: number; requests: number } {
  const perModel = modelCells(suite, '');
  return {
    cells: perModel.length * suite.models.length,
    requests: perModel.reduce((a, c) => a + c.concurrency * suite.repetitions, 0) * suite.models.length,
  };
}

/**
 * Measure a prepared model's cells one after the other. Each cell's load runs to its end, then the cell is
 * aggregated and emitted. `firstIndex` is the index of the model's first cell in the run.
 * Fixed concurrency is the only load shape today; another (a request rate) plugs in where it is chosen.
 */
export async function runModelCells(ctx: RunContext, prepared: PreparedModel, firstIndex: number, total: number): Promise<void> {
  const cells = modelCells(ctx.suite, prepared.model);
  for (const [i, cell] of cells.entries()) {
    if (ctx.stopSignal.aborted) return;
    const index = firstIndex + i;
    ctx.emit({ type: 'cell-start', cell, index, total });
    const samples: Sample[] = [];
    const plan = prepared.plans.get(cell.promptTokens)!;
    await primeCache(ctx, cell, plan);
    const t0 = ctx.clock();
    await runFixedConcurrency(ctx, cell, async () => {
      const sample = await sendRequest(ctx, { phase: 'measured', cell, plan });
      if (sample) samples.push(sample);
    });
    // A cell cut short by an abort before any request ended has nothing to report.
    if (samples.length === 0 && ctx.stopSignal.aborted) return;
    const aggregate = aggregateCell(cell, samples, ctx.clock() - t0, cell.concurrency * ctx.suite.repetitions);
    if (aggregate.partial)
      ctx.warn(`cell ${cellName(cell)} is partial: ${aggregate.n} of ${aggregate.planned} requests measured before the run stopped`);
    ctx.result.cells.push(aggregate);
    ctx.emit({ type: 'cell-done', cell: aggregate, index, total });
  }
}
