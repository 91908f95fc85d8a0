import type { CellKey } from '../../result/types.js';
import { mix, prng } from '../../util/rng.js';
import type { PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import type { PreparedModel } from '../phases/prepare-model.js';

/** A request's prompt: its drawn size, and the plan it is built from (the smallest size, padded up). */
export type PromptSizer = (requestIndex: number) => { promptTokens: number; plan: PromptPlan };

/**
 * With a `promptDistribution`, each request of a cell draws its prompt size (normal, clipped to [min, max],
 * rounded) from a stream seeded by the suite's seed, the cell and the request's index, so a run offers the
 * same sizes again. The prompt is the smallest size's calibrated prompt (`PreparedModel.drawnMin`, sized with
 * the model's other prompts) plus one-token pads up to the drawn size, so every size is exact wherever the
 * smallest one is. Undefined without a distribution.
 */
export function createPromptSizer(ctx: RunContext, prepared: PreparedModel, cell: CellKey): PromptSizer | undefined {
  const d = ctx.suite.promptDistribution;
  const plan = prepared.drawnMin;
  if (!d || !plan) return undefined;
  const cellSeed = mix(ctx.suite.seed, cell.promptTokens, cell.maxTokens, cell.concurrency, Math.round((cell.rate ?? 0) * 1000));
  return (i) => ({ promptTokens: drawSize(d, mix(cellSeed, i)), plan });
}

/** One size from a normal distribution (Box–Muller), clipped and rounded. */
export function drawSize(d: { mean: number; stddev: number; min: number; max: number }, seed: number): number {
  const next = prng(seed);
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.min(d.max, Math.max(d.min, Math.round(d.mean + d.stddev * z)));
}
