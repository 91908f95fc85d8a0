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
export interface Calibrated {
  /** Prompt plan per prompt size of the suite. */
  plans: Map<number, PromptPlan>;
  /**
   * With a `promptDistribution`: the plan of its smallest size, with the filler of the cells' key size (the
   * seed requests are built with), which drawn sizes pad up from. Sized the same way as `plans` (the probe
   * fallback and the shared cached head included): sized apart, it was estimated on a server counted by
   * probes, and every drawn prompt came out off by the chat template and flagged `warm-cache`.
   */
  drawnMin?: PromptPlan;
}

export async function calibrate(ctx: RunContext, model: string): Promise<Calibrated> {
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
  const distribution = suite.promptDistribution;
  if (!suite.calibrate) {
    record({ model, method: 'estimate', note: 'calibrate: false; prompt sizes are estimated' });
    return {
      plans: new Map(suite.promptTokens.map((target) => [target, withShared(estimatePlan(suite.endpoint, target, withNonce))])),
      ...(distribution ? { drawnMin: withShared(estimatePlan(suite.endpoint, distribution.min, withNonce)) } : {}),
    };
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
  const size = async (target: number, seedSize: number, what: string): Promise<PromptPlan> => {
    let plan = await planPrompt(countTokens, suite.endpoint, target, withNonce, promptSeed(seedSize), signal);
    // A tokenizer endpoint that failed (a server without one behind an OpenAI-compatible API): probe instead.
    if (plan.method === 'estimate' && probe && countedBy === undefined) {
      ctx.warn(`${model}: ${plan.note ?? 'tokenizer failed'}; counting prompt tokens with one-token probes instead`);
      countTokens = probe;
      countedBy = 'usage';
      plan = await planPrompt(countTokens, suite.endpoint, target, withNonce, promptSeed(seedSize), signal);
    }
    if (plan.note) ctx.warn(`${model}, ${what}: ${plan.note}`);
    return withShared(plan);
  };
  const plans = new Map<number, PromptPlan>();
  for (const target of suite.promptTokens) plans.set(target, await size(target, target, `${target}-token prompt`));
  const drawnMin = distribution
    ? await size(distribution.min, suite.promptTokens[0]!, `smallest drawn prompt (${distribution.min} tokens)`)
    : undefined;
  const estimated = [...plans.values(), ...(drawnMin ? [drawnMin] : [])].some((p) => p.method === 'estimate');
  record({ model, method: estimated ? 'estimate' : 'tokenizer', ...(!estimated && countedBy ? { countedBy } : {}) });
  return { plans, ...(drawnMin ? { drawnMin } : {}) };
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
