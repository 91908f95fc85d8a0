import type { CellKey } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import { createCellAccumulator } from '../cell-accumulator.js';
import { type LoopDelay, watchEventLoop } from '../client-health.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import { cellRequests, runFixedConcurrency } from './fixed-concurrency.js';
import { openConnections, releaseConnections } from './connections.js';
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
    requests: perModel.reduce((a, c) => a + cellRequests(suite, c), 0) * suite.models.length,
  };
}

/**
 * Measure a prepared model's cells one after the other. Each cell's load runs to its end, then the cell is
 * aggregated and emitted. `firstIndex` is the index of the model's first cell in the run.
 * Fixed concurrency is the only load shape today; another (a request rate) plugs in where it is chosen.
 * Samples go to the store as they finish (`ctx.record`); the cell keeps only their figures, so memory stays
 * flat however many requests a cell measures.
 */
export async function runModelCells(ctx: RunContext, prepared: PreparedModel, firstIndex: number, total: number): Promise<void> {
  const cells = modelCells(ctx.suite, prepared.model);
  for (const [i, cell] of cells.entries()) {
    if (ctx.stopSignal.aborted) return;
    const index = firstIndex + i;
    ctx.emit({ type: 'cell-start', cell, index, total });
    const accumulator = createCellAccumulator();
    const plan = prepared.plans.get(cell.promptTokens)!;
    await primeCache(ctx, cell, plan);
    const planned = cellRequests(ctx.suite, cell);
    await openConnections(ctx, Math.min(cell.concurrency, planned));
    const foreignWindow = await ctx.foreign.cellStart();
    const loop = watchEventLoop();
    let loopDelay: LoopDelay;
    const t0 = ctx.clock();
    try {
      await runFixedConcurrency(ctx, cell, async () => {
        const sample = await sendRequest(ctx, { phase: 'measured', cell, plan });
        if (sample) accumulator.add(sample);
      });
    } finally {
      // Never leave a monitor running: its timer would fire for the life of the process.
      loopDelay = loop.stop();
      releaseConnections(ctx);
    }
    const wallMs = ctx.clock() - t0;
    // A cell cut short by an abort before any request ended has nothing to report.
    if (accumulator.n === 0 && ctx.stopSignal.aborted) return;
    const foreign = ctx.foreign.cellEnd(foreignWindow);
    const aggregate = { ...accumulator.result(cell, wallMs, planned, loopDelay), ...foreign };
    if (foreign.polluted)
      ctx.warn(
        `cell ${cellName(cell)} is polluted: up to ${foreign.concurrentForeignRequests?.peak} foreign request(s) were in flight on the host`,
      );
    if (aggregate.partial)
      ctx.warn(`cell ${cellName(cell)} is partial: ${aggregate.n} of ${aggregate.planned} requests measured before the run stopped`);
    ctx.result.cells.push(aggregate);
    // A cell is done once its samples are stored: whoever hears of it can read them.
    await ctx.flushSamples();
    ctx.emit({ type: 'cell-done', cell: aggregate, index, total });
  }
}
