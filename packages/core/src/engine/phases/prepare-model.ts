import type { CellKey } from '../../result/types.js';
import type { PromptPlan } from '../prompts.js';
import type { RunPhase } from '../events.js';
import type { RunContext } from '../run-context.js';
import { calibrate } from './calibrate.js';
import { checkColdStart } from './cold-start.js';
import { measureSwaps } from './swaps.js';
import { warmUp } from './warmup.js';

/** A model ready for its cells: its prompts sized, loaded and warm. */
export interface PreparedModel {
  model: string;
  /** Prompt plan per prompt size of the suite. */
  plans: Map<number, PromptPlan>;
  /** With a `promptDistribution`: the plan its drawn sizes pad up from (see `Calibrated.drawnMin`). */
  drawnMin?: PromptPlan;
}

/**
 * Everything a model needs before its cells, in order: cold start (before anything could load it),
 * prompt calibration, swap measurements, then the warmups left after the cold start.
 */
export async function prepareModel(ctx: RunContext, model: string): Promise<PreparedModel> {
  const { suite } = ctx;
  // Cold start, swaps and warmups all use the smallest cell of the grid's first row, one at a time.
  const first: CellKey = { model, promptTokens: suite.promptTokens[0]!, maxTokens: suite.maxTokens[0]!, concurrency: 1 };
  const phase = (name: RunPhase) => ctx.emit({ type: 'phase', phase: name, model });
  phase('cold-start');
  const coldRequestSent = await checkColdStart(ctx, first);
  phase('calibrate');
  const { plans, drawnMin } = await calibrate(ctx, model);
  const plan = plans.get(first.promptTokens)!;
  if (suite.swaps > 0 && !ctx.stopSignal.aborted) {
    phase('swaps');
    await measureSwaps(ctx, first, plan);
  }
  const warmups = Math.max(0, suite.warmup - (coldRequestSent ? 1 : 0));
  if (warmups > 0) phase('warmup');
  await warmUp(ctx, first, plan, warmups);
  return { model, plans, ...(drawnMin ? { drawnMin } : {}) };
}
