import type { PromptCalibration } from '../../result/types.js';
import { errorMessage } from '../../util/error-message.js';
import type { CountTokens, PromptPlan } from '../prompts.js';
import { estimatePlan, NONCE_DIGITS, planPrompt } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { promptSeed } from '../send-request.js';
import { measureSharedPrefix, probePromptTokens } from './prompt-probe.js';

/**
 * Size a model's prompts: for each prompt size of the suite, the filler that makes exactly that many
 * tokens as the server evaluates them. Counted by the server's tokenizer when the transport can tokenize;
 * else, where every answer reports its prompt size (`traits.reportsPromptTokens`), by one-token probes;
 * else estimated. Where the server caches whatever it is told (`traits.obeysCachePrompt === false`), the
 * cached head no nonce can bust is measured too. Records the method per model and warns about every size
 * it could not hit.
 */
export async function calibrate(ctx: RunContext, model: string): Promise<Map<number, PromptPlan>> {
  const { suite, transport, signal } = ctx;
  const withNonce = suite.cache === 'bust';
  const shared = withNonce && transport.traits.obeysCachePrompt === false ? await sharedPrefix(ctx, model) : 0;
  // Beyond the shared head, a request can reuse at most its nonce's digits from another one (a prompt left in
  // a slot by a probe, or by a request whose number starts with the same digit): that flatters nothing.
  // More than that means the filler came from a cache, which no prefix cache can do past a differing nonce.
  const allowance = withNonce && transport.traits.obeysCachePrompt === false ? shared + NONCE_DIGITS : 0;
  const withShared = (plan: PromptPlan): PromptPlan => ({
    ...plan,
    ...(shared > 0 ? { sharedPrefixTokens: shared } : {}),
    ...(allowance > 0 ? { cacheAllowance: allowance } : {}),
  });
  const record = (entry: PromptCalibration) => ctx.result.calibration.push(shared > 0 ? { ...entry, sharedPrefixTokens: shared } : entry);
  if (!suite.calibrate) {
    record({ model, method: 'estimate', note: 'calibrate: false; prompt sizes are estimated' });
    return new Map(suite.promptTokens.map((target) => [target, withShared(estimatePlan(suite.endpoint, target, withNonce))]));
  }
  const tokenize = transport.tokenize?.bind(transport);
  // Each tokenizer call is bounded like any request: a stalled tokenizer cannot hang the run.
  let countTokens: CountTokens | undefined = tokenize && ((input) => ctx.ask('tokenize', (o) => tokenize(model, input, o)));
  const probe: CountTokens | undefined = transport.traits.reportsPromptTokens ? (input) => probePromptTokens(ctx, model, input) : undefined;
  let countedBy: 'usage' | undefined;
  if (!countTokens && probe) {
    countTokens = probe;
    countedBy = 'usage';
  }
  const plans = new Map<number, PromptPlan>();
  for (const target of suite.promptTokens) {
    let plan = await planPrompt(countTokens, suite.endpoint, target, withNonce, promptSeed(target), signal);
    // A tokenizer endpoint that failed (a server without one behind an OpenAI-compatible API): probe instead.
    if (plan.method === 'estimate' && probe && countedBy === undefined) {
      ctx.warn(`${model}: ${plan.note ?? 'tokenizer failed'}; counting prompt tokens with one-token probes instead`);
      countTokens = probe;
      countedBy = 'usage';
      plan = await planPrompt(countTokens, suite.endpoint, target, withNonce, promptSeed(target), signal);
    }
    plans.set(target, withShared(plan));
    if (plan.note) ctx.warn(`${model}, ${target}-token prompt: ${plan.note}`);
  }
  const estimated = [...plans.values()].some((p) => p.method === 'estimate');
  record({ model, method: estimated ? 'estimate' : 'tokenizer', ...(!estimated && countedBy ? { countedBy } : {}) });
  return plans;
}

/** The shared cached head (see `measureSharedPrefix`); 0 with a warning when it cannot be measured. */
async function sharedPrefix(ctx: RunContext, model: string): Promise<number> {
  try {
    return await measureSharedPrefix(ctx, model);
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.warn(`${model}: could not measure the prompt head the server caches anyway (${errorMessage(err)}); any reuse is flagged`);
    return 0;
  }
}
