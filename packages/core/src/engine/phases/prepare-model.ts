import type { CellKey } from '../../result/types.js';
import type { PromptPlan } from '../prompts.js';
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
}

/**
 * Everything a model needs before its cells, in order: cold start (before anything could load it),
 * prompt calibration, swap measurements, then the warmups left after the cold start.
 */
export async function prepareModel(ctx: RunContext, model: string): Promise<PreparedModel> {
  const { suite } = ctx;
  // Cold start, swaps and warmups all use the smallest cell of the grid's first row, one at a time.
  const first: CellKey = { model, promptTokens: suite.promptTokens[0]!, maxTokens: suite.maxTokens[0]!, concurrency: 1 };
  const coldRequestSent = await checkColdStart(ctx, first);
  const plans = await calibrate(ctx, model);
  const plan = plans.get(first.promptTokens)!;
  if (suite.swaps > 0 && !ctx.stopSignal.aborted) await measureSwaps(ctx, first, plan);
  await warmUp(ctx, first, plan, Math.max(0, suite.warmup - (coldRequestSent ? 1 : 0)));
  return { model, plans };
}
