import type { CellKey, Sample } from '../result/types.js';
import type { StreamRequest } from '../transport/transport.js';
import { measureRequest } from './measure.js';
import { buildPrompt, type PromptPlan } from './prompts.js';
import type { RunContext } from './run-context.js';

/** What one request is for: where it sits in the run, and how its prompt is built. */
export interface RequestSpec {
  phase: Sample['phase'];
  cell: CellKey;
  plan: PromptPlan;
  /** The first request to a model that was not loaded: its TTFT includes the load. */
  coldStart?: boolean;
}

/**
 * Send one request of the run and record its sample (stored and emitted). Resolves with the sample, or
 * undefined when the run was aborted while it was in flight (a cancelled request measures nothing).
 */
export async function sendRequest(ctx: RunContext, spec: RequestSpec): Promise<Sample | undefined> {
  const { suite } = ctx;
  const { cell, plan } = spec;
  const prefix = suite.cache === 'bust' ? ctx.nextNonce() : '';
  const request: StreamRequest = {
    ...buildPrompt(suite.endpoint, plan.words, prefix, promptSeed(cell.promptTokens), plan.pad),
    model: cell.model,
    maxTokens: cell.maxTokens,
    sampling: suite.sampling,
    ignoreEos: suite.ignoreEos,
    cachePrompt: suite.cache === 'reuse',
    requestId: ctx.nextRequestId(),
  };
  ctx.ours.begin();
  const measurement = await measureRequest(
    {
      transport: ctx.transport,
      clock: ctx.clock,
      runSignal: ctx.signal,
      timeoutMs: suite.requestTimeoutMs,
      requestedPromptTokens: cell.promptTokens,
      ignoreEos: suite.ignoreEos,
      bustCache: suite.cache === 'bust',
      timeline: ctx.timelines,
    },
    request,
  ).finally(() => ctx.ours.end());
  if (!measurement) return undefined;
  return ctx.record({ ...measurement, ...cell, phase: spec.phase, ...(spec.coldStart ? { coldStart: true } : {}) });
}

/** The same filler text for every request of a prompt size (calibrated once); the nonce makes each unique. */
export function promptSeed(promptTokens: number): number {
  return 7919 * promptTokens + 17;
}
