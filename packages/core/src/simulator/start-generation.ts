import type { ServerResponse } from 'node:http';
import { applyEarlyFault, EARLY_FAULTS } from './early-faults.js';
import { generate, type GenerationEndpoint } from './generate.js';
import type { ModelRuntime } from './model-runtime.js';
import { llamaError } from './responses.js';
import { hashTokens, mix } from '../util/rng.js';
import { readParams } from './sampling-params.js';
import { sendJson } from './send.js';
import { chatPromptTokens, detokenize, tokenizeText, type TemplateMessage } from './tokenizer.js';
import { newTruth, responseId, type Routed, type SimContext, type SimRequest } from './llama-routes.js';

export function readMessages(json: Record<string, unknown>, res: ServerResponse): TemplateMessage[] | undefined {
  if (json.messages === undefined) sendJson(res, 400, llamaError(400, 'invalid_request_error', "'messages' is required"));
  else if (!Array.isArray(json.messages))
    sendJson(res, 400, llamaError(400, 'invalid_request_error', "Expected 'messages' to be an array"));
  else
    return json.messages.filter(
      (m): m is TemplateMessage => !!m && typeof m === 'object' && typeof (m as { role?: unknown }).role === 'string',
    );
  return undefined;
}

/** A completion prompt: a string, token ids, or a mix (BOS only when it starts with text, as llama-server does). */
function completionPrompt(prompt: unknown): { tokens: number[]; text: string } | undefined {
  if (typeof prompt === 'string') {
    const tokens = tokenizeText(prompt, { addSpecial: true });
    return { tokens, text: detokenize(tokens) };
  }
  if (!Array.isArray(prompt)) return undefined;
  const tokens: number[] = [];
  prompt.forEach((p: unknown, i) => {
    if (typeof p === 'number') tokens.push(p);
    else if (typeof p === 'string') tokens.push(...tokenizeText(p, { addSpecial: i === 0 }));
  });
  return { tokens, text: detokenize(tokens) };
}

export async function startGeneration(
  ctx: SimContext,
  runtime: ModelRuntime,
  req: SimRequest,
  endpoint: GenerationEndpoint,
  json: Record<string, unknown>,
  routed?: Routed,
): Promise<void> {
  const { res } = req;
  const p = runtime.profile;
  const ordinal = routed?.ordinal ?? ctx.nextOrdinal();
  const fault = routed ? routed.fault : ctx.pickFault(runtime.name, ordinal);

  const done = () => {
    if (routed?.truth) routed.truth.finishedAt = process.hrtime.bigint();
  };
  let prompt: { tokens: number[]; text: string } | undefined;
  // Ollama's `/api/generate` without `raw` templates its prompt: it arrives here as messages too.
  if (endpoint === 'chat' || ((endpoint === 'ollama-chat' || endpoint === 'ollama-generate') && json.messages !== undefined)) {
    const messages = readMessages(json, res);
    if (!messages) return done();
    const tokens = chatPromptTokens(messages);
    prompt = { tokens, text: detokenize(tokens) };
  } else {
    prompt = completionPrompt(json.prompt);
    if (!prompt) {
      sendJson(res, 400, llamaError(400, 'invalid_request_error', '"prompt" must be provided'));
      return done();
    }
  }

  const id = routed?.id ?? responseId();
  const truth = routed ? routed.truth : ctx.record(newTruth(id, runtime.name, req));
  if (truth) {
    truth.promptTokens = prompt.tokens.length;
    truth.swapped = routed?.swapped ?? false;
    truth.loadMs = routed?.loadMs ?? 0;
  }
  const finished = () => {
    if (truth) truth.finishedAt = process.hrtime.bigint();
  };
  if (fault && (fault.kind === 'unknown-model' || EARLY_FAULTS.has(fault.kind))) {
    // Instead of the answer: no slot is taken, nothing is generated.
    if (truth) truth.fault = fault.kind;
    if (fault.kind === 'unknown-model') ctx.unknownModel(res, json.model);
    else await applyEarlyFault(fault, res, req.signal);
    return finished();
  }
  if (prompt.tokens.length >= p.ctxSize) {
    const n = prompt.tokens.length;
    sendJson(
      res,
      400,
      llamaError(
        400,
        'exceed_context_size_error',
        `request (${n} tokens) exceeds the available context size (${p.ctxSize} tokens), try increasing it`,
        { n_prompt_tokens: n, n_ctx: p.ctxSize },
      ),
    );
    return finished();
  }

  const nPredict = firstInt(json.n_predict, json.max_completion_tokens, json.max_tokens) ?? -1;
  const stream = json.stream === true;
  const params = readParams(json, nPredict, stream);
  const explicitSeed = typeof json.seed === 'number' && json.seed >= 0;
  // Greedy or seeded requests repeat their text for the same prompt; others vary by arrival order.
  const textSeed =
    params.temperature <= 0
      ? mix(ctx.seed, hashTokens(prompt.tokens))
      : explicitSeed
        ? mix(ctx.seed, params.seed, hashTokens(prompt.tokens))
        : mix(ctx.seed, ordinal, 0x7e47);
  const streamOptions = json.stream_options as { include_usage?: unknown } | undefined;
  await generate({
    runtime,
    scheduler: ctx.scheduler,
    endpoint,
    stream,
    includeUsage: streamOptions?.include_usage === true,
    promptTokens: prompt.tokens,
    promptText: prompt.text,
    maxTokens: nPredict,
    cachePrompt: json.cache_prompt !== false,
    params,
    textSeed,
    jitterSeed: mix(ctx.seed, ordinal, 0x5117),
    identity: { id, created: Math.floor(Date.now() / 1000), model: runtime.name },
    fault,
    truth,
    res,
    signal: req.signal,
    loadMs: routed?.loadMs ?? 0,
  });
}

function firstInt(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  return undefined;
}
