import type { CellKey, Sample } from '../result/types.js';
import type { PromptInput, StreamRequest } from '../transport/transport.js';
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
  /** Open loop: when the request was due on the run's clock. */
  scheduledAt?: number;
  /**
   * A prompt size drawn for this request (`promptDistribution`): `plan` is then the plan of the smallest
   * size, and the difference is made up with one-token pads, so the size stays exact.
   */
  promptTokens?: number;
  /** A prompt of the suite's prompt set, sent as it is (its size is what the server reports). */
  text?: string;
  /** The prompt set's expected output length for this prompt, instead of the cell's. */
  maxTokens?: number | undefined;
}

/**
 * Send one request of the run and record its sample (stored and emitted). Resolves with the sample, or
 * undefined when the run was aborted while it was in flight (a cancelled request measures nothing).
 */
export async function sendRequest(ctx: RunContext, spec: RequestSpec): Promise<Sample | undefined> {
  const { suite } = ctx;
  const { cell, plan } = spec;
  const promptTokens = spec.promptTokens ?? cell.promptTokens;
  const extraPad = spec.promptTokens === undefined ? 0 : Math.max(0, spec.promptTokens - plan.expectedTokens);
  const prefix = suite.cache === 'bust' ? ctx.nextNonce() : '';
  const request: StreamRequest = {
    ...(spec.text === undefined
      ? buildPrompt(suite.endpoint, plan.words, prefix, promptSeed(cell.promptTokens), plan.pad + extraPad)
      : textPrompt(suite.endpoint, prefix, spec.text)),
    model: cell.model,
    maxTokens: spec.maxTokens ?? cell.maxTokens,
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
      // A set's prompt has no asked-for size: the server's count is its size.
      requestedPromptTokens: spec.text === undefined ? promptTokens : undefined,
      ignoreEos: suite.ignoreEos,
      bustCache: suite.cache === 'bust',
      cacheAllowance: plan.cacheAllowance ?? 0,
      timeline: ctx.timelines,
      scheduledAt: spec.scheduledAt,
    },
    request,
  ).finally(() => ctx.ours.end());
  if (!measurement) return undefined;
  return ctx.record({
    ...measurement,
    ...cell,
    phase: spec.phase,
    ...(spec.coldStart ? { coldStart: true } : {}),
    ...(spec.promptTokens === undefined ? {} : { requestPromptTokens: spec.promptTokens }),
  });
}

/** A prompt set's text, behind the unique prefix when the suite busts the cache. */
function textPrompt(endpoint: 'chat' | 'completion', prefix: string, text: string): PromptInput {
  const content = prefix ? `${prefix} ${text}` : text;
  return endpoint === 'chat' ? { endpoint, messages: [{ role: 'user', content }] } : { endpoint, prompt: content };
}

/** The same filler text for every request of a prompt size (calibrated once); the nonce makes each unique. */
export function promptSeed(promptTokens: number): number {
  return 7919 * promptTokens + 17;
}
