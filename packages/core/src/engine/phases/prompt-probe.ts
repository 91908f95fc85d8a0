import { StreamProtocolError, UnsupportedError } from '../../errors/errors.js';
import { type NormalizedTimings, parseLlamaTimings } from '../../timings/parse-llama-timings.js';
import type { PromptInput } from '../../transport/transport.js';
import { buildPrompt } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { promptSeed } from '../send-request.js';

/**
 * Send `input` as a one-token request and return what the server reported about it. Calibration's
 * fallback where the server has no tokenizer: its own count of the prompt is exact, and costs one prompt
 * evaluation. Not a sample: it measures sizes, not speed. Counted as ours, so it is never foreign traffic.
 */
export async function probePrompt(ctx: RunContext, model: string, input: PromptInput): Promise<NormalizedTimings> {
  const { transport, suite } = ctx;
  ctx.ours.begin();
  try {
    return await ctx.ask('probe', async ({ signal }) => {
      const request = {
        ...input,
        model,
        maxTokens: 1,
        sampling: suite.sampling,
        ignoreEos: false,
        cachePrompt: false,
        requestId: ctx.nextRequestId(),
      };
      for await (const event of transport.stream(request, { signal })) {
        if (event.type === 'final') return parseLlamaTimings(event.raw);
      }
      throw new StreamProtocolError('a prompt probe ended without a final event');
    });
  } finally {
    ctx.ours.end();
  }
}

/** Prompt tokens the server evaluated for `input`, from a one-token probe; UnsupportedError if it says none. */
export async function probePromptTokens(ctx: RunContext, model: string, input: PromptInput): Promise<number> {
  const timings = await probePrompt(ctx, model, input);
  if (timings.promptTokens === undefined)
    throw new UnsupportedError(`${model}: the server reported no prompt token count (no usage.prompt_tokens)`);
  return timings.promptTokens;
}

/** One-token requests sent to find the shared head: the first fills a cache, the later ones show what it reuses. */
const SHARED_PROBES = 3;

/**
 * Prompt tokens the server reuses from its cache however unique the prefix: short prompts with fresh
 * nonces and the same filler, one after another; the most any later one reused is the head they all share
 * (the chat template's, BOS). Zero when the server reports no cached tokens.
 */
export async function measureSharedPrefix(ctx: RunContext, model: string): Promise<number> {
  const { suite } = ctx;
  let shared = 0;
  for (let i = 0; i < SHARED_PROBES; i++) {
    const input = buildPrompt(suite.endpoint, 8, ctx.nextNonce(), promptSeed(suite.promptTokens[0]!));
    const timings = await probePrompt(ctx, model, input);
    if (i > 0) shared = Math.max(shared, timings.cachedTokens ?? 0);
  }
  return shared;
}
