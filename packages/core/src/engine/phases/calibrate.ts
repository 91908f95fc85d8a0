import type { CountTokens, PromptPlan } from '../prompts.js';
import { estimatePlan, planPrompt } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { promptSeed } from '../send-request.js';

/**
 * Size a model's prompts: for each prompt size of the suite, the filler that makes exactly that many
 * tokens as the server evaluates them (its tokenizer, when the transport can tokenize; else an estimate).
 * Records the method per model and warns about every size it could not hit.
 */
export async function calibrate(ctx: RunContext, model: string): Promise<Map<number, PromptPlan>> {
  const { suite, transport, signal } = ctx;
  if (!suite.calibrate) {
    const note = 'calibrate: false; prompt sizes are estimated';
    ctx.result.calibration.push({ model, method: 'estimate', note });
    return new Map(suite.promptTokens.map((target) => [target, estimatePlan(suite.endpoint, target, suite.cache === 'bust')]));
  }
  const tokenize = transport.tokenize?.bind(transport);
  // Each tokenizer call is bounded like any request: a stalled tokenizer cannot hang the run.
  const countTokens: CountTokens | undefined = tokenize && ((input) => ctx.ask('tokenize', (o) => tokenize(model, input, o)));
  const plans = new Map<number, PromptPlan>();
  for (const target of suite.promptTokens) {
    const plan = await planPrompt(countTokens, suite.endpoint, target, suite.cache === 'bust', promptSeed(target), signal);
    plans.set(target, plan);
    if (plan.note) ctx.warn(`${model}, ${target}-token prompt: ${plan.note}`);
  }
  const estimated = [...plans.values()].some((p) => p.method === 'estimate');
  ctx.result.calibration.push({ model, method: estimated ? 'estimate' : 'tokenizer' });
  return plans;
}
