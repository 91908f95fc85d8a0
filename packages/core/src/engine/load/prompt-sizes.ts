import type { CellKey } from '../../result/types.js';
import { mix, prng } from '../../util/rng.js';
import { type CountTokens, planPrompt, type PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { promptSeed } from '../send-request.js';
import type { PreparedModel } from '../phases/prepare-model.js';

/** A request's prompt: its drawn size, and the plan it is built from (the smallest size, padded up). */
export type PromptSizer = (requestIndex: number) => { promptTokens: number; plan: PromptPlan };

/** The plan of each model's smallest drawn size, sized once per model. */
const minPlans = new WeakMap<PreparedModel, Promise<PromptPlan>>();

/**
 * With a `promptDistribution`, each request of a cell draws its prompt size (normal, clipped to [min, max],
 * rounded) from a stream seeded by the suite's seed, the cell and the request's index, so a run offers the
 * same sizes again. The prompt is the smallest size's calibrated prompt plus one-token pads up to the drawn
 * size, so every size is exact wherever the smallest one is. Undefined without a distribution.
 */
export async function createPromptSizer(ctx: RunContext, prepared: PreparedModel, cell: CellKey): Promise<PromptSizer | undefined> {
  const d = ctx.suite.promptDistribution;
  if (!d) return undefined;
  let planned = minPlans.get(prepared);
  if (!planned) {
    planned = planMin(ctx, prepared.model, d.min, cell.promptTokens);
    minPlans.set(prepared, planned);
  }
  const plan = await planned;
  const cellSeed = mix(ctx.suite.seed, cell.promptTokens, cell.maxTokens, cell.concurrency, Math.round((cell.rate ?? 0) * 1000));
  return (i) => ({ promptTokens: drawSize(d, mix(cellSeed, i)), plan });
}

/** One size from a normal distribution (Box–Muller), clipped and rounded. */
export function drawSize(d: { mean: number; stddev: number; min: number; max: number }, seed: number): number {
  const next = prng(seed);
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.min(d.max, Math.max(d.min, Math.round(d.mean + d.stddev * z)));
}

/** The smallest size's plan, built with the filler of the cell's key size (the seed requests use). */
async function planMin(ctx: RunContext, model: string, min: number, keySize: number): Promise<PromptPlan> {
  const { suite, transport } = ctx;
  const tokenize = suite.calibrate ? transport.tokenize?.bind(transport) : undefined;
  const countTokens: CountTokens | undefined = tokenize && ((input) => ctx.ask('tokenize', (o) => tokenize(model, input, o)));
  const plan = await planPrompt(countTokens, suite.endpoint, min, suite.cache === 'bust', promptSeed(keySize), ctx.signal);
  if (plan.note) ctx.warn(`${model}, smallest drawn prompt (${min} tokens): ${plan.note}`);
  return plan;
}
