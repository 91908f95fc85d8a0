import { parseSuite } from '../suite/load-suite.js';
import type { Suite, SuiteInput } from '../suite/schema.js';
import type { RunResult } from '../result/types.js';
import { clientInfo } from './environment.js';
import { modelCells, runModelCells, runSize } from './phases/cells.js';
import { finalize, recordRunError } from './phases/finalize.js';
import { preflight } from './phases/preflight.js';
import { prepareModel } from './phases/prepare-model.js';
import { createRunContext, type RunBenchSuiteOptions } from './run-context.js';

export type { RunBenchSuiteOptions } from './run-context.js';

/**
 * Run a benchmark suite: preflight, then for each model its preparation (cold start, prompt calibration,
 * swaps, warmup) and its cells (the grid of prompt sizes × output lengths × concurrency levels, each with
 * exactly C requests in flight), then finalize. Every sample is stored as it completes. Resolves with the
 * run's result, also when cancelled or failed; rejects only for an invalid suite (ConfigError).
 */
export async function runBenchSuite(suiteInput: SuiteInput | Suite, options: RunBenchSuiteOptions): Promise<RunResult> {
  const suite = parseSuite(suiteInput);
  const ctx = createRunContext(suite, options, clientInfo());
  const startedAt = ctx.clock();
  // Host access (a lease held for the run, renewed, released in `finally`) goes around this block.
  try {
    const size = runSize(suite);
    ctx.emit({ type: 'run-start', suite, cells: size.cells, requests: size.requests });
    await preflight(ctx);
    const perModel = modelCells(suite, '').length;
    for (const [i, model] of suite.models.entries()) {
      if (ctx.stopSignal.aborted) break;
      const prepared = await prepareModel(ctx, model);
      await runModelCells(ctx, prepared, i * perModel, size.cells);
    }
  } catch (err) {
    recordRunError(ctx, err);
  } finally {
    ctx.dispose();
  }
  // Client health is watched per cell (`runModelCells`); finalize rolls it up.
  return finalize(ctx, startedAt);
}
