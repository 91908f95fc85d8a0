/**
 * One shape for the server-side figures of a request, whichever server sent them: llama.cpp `timings`,
 * OpenAI `usage` (vLLM, Ollama `/v1`), or Ollama's native nanosecond durations.
 */
export interface NormalizedTimings {
  /** Where the figures came from; `none` when the input had nothing usable. */
  source: 'llama' | 'openai' | 'ollama' | 'none';
  /** Prompt tokens in total, cached ones included (llama `prompt_n + cache_n`, `usage.prompt_tokens`). */
  promptTokens?: number | undefined;
  /** Prompt tokens the server evaluated this time (llama `prompt_n`). */
  promptEvaluatedTokens?: number | undefined;
  /** Prompt tokens reused from the cache (`cache_n`, `prompt_tokens_details.cached_tokens`). */
  cachedTokens?: number | undefined;
  /** Prompt processing time in ms. */
  promptMs?: number | undefined;
  /** Prompt processing speed, tokens/s over the evaluated tokens. */
  promptTps?: number | undefined;
  /** Generated tokens. */
  generatedTokens?: number | undefined;
  /** Generation time in ms. */
  generationMs?: number | undefined;
  /** Generation speed, tokens/s as the server counts it. */
  genTps?: number | undefined;
  /** Ollama: model load time in ms. */
  loadMs?: number | undefined;
  /** Ollama: whole request inside the server, ms. */
  totalMs?: number | undefined;
  /** Speculative decoding: drafted and accepted tokens. */
  draftTokens?: number | undefined;
  draftAcceptedTokens?: number | undefined;
}

type Obj = Record<string, unknown>;

/**
 * Normalize what a server reported about one request. Accepts a whole response body or final stream chunk
 * (with `timings` and/or `usage`), a bare llama.cpp `timings` object, or an Ollama native final object.
 * Missing fields become `undefined`; every division is guarded, so no NaN or Infinity comes out.
 */
export function parseLlamaTimings(input: unknown): NormalizedTimings {
  if (!isObj(input)) return { source: 'none' };
  const timings = isObj(input.timings) ? input.timings : 'prompt_n' in input || 'predicted_n' in input ? input : undefined;
  const usage = isObj(input.usage) ? input.usage : 'prompt_tokens' in input || 'completion_tokens' in input ? input : undefined;
  if (timings) return fromLlama(timings, usage);
  if ('eval_count' in input || 'prompt_eval_count' in input || 'total_duration' in input) return fromOllama(input);
  if (usage) return fromUsage(usage);
  return { source: 'none' };
}

function fromLlama(t: Obj, usage: Obj | undefined): NormalizedTimings {
  const promptN = count(t.prompt_n);
  const cacheN = count(t.cache_n);
  const promptMs = num(t.prompt_ms);
  const predictedN = count(t.predicted_n);
  const predictedMs = num(t.predicted_ms);
  const fromUsageFields = usage ? fromUsage(usage) : undefined;
  return {
    source: 'llama',
    promptTokens: promptN === undefined ? fromUsageFields?.promptTokens : promptN + (cacheN ?? 0),
    promptEvaluatedTokens: promptN,
    cachedTokens: cacheN ?? fromUsageFields?.cachedTokens,
    promptMs,
    promptTps: num(t.prompt_per_second) ?? rate(promptN, promptMs),
    generatedTokens: predictedN ?? fromUsageFields?.generatedTokens,
    generationMs: predictedMs,
    genTps: num(t.predicted_per_second) ?? rate(predictedN, predictedMs),
    draftTokens: count(t.draft_n),
    draftAcceptedTokens: count(t.draft_n_accepted),
  };
}

function fromUsage(u: Obj): NormalizedTimings {
  const details = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
  const promptTokens = count(u.prompt_tokens);
  const cached = details ? count(details.cached_tokens) : undefined;
  return {
    source: 'openai',
    promptTokens,
    cachedTokens: cached,
    promptEvaluatedTokens: promptTokens !== undefined && cached !== undefined ? promptTokens - cached : undefined,
    generatedTokens: count(u.completion_tokens),
  };
}

const NS_PER_MS = 1e6;

function fromOllama(o: Obj): NormalizedTimings {
  // Ollama omits zero durations (Go omitempty); an absent one stays undefined and yields no rate.
  const promptTokens = count(o.prompt_eval_count);
  const evalCount = count(o.eval_count);
  const promptMs = nsToMs(o.prompt_eval_duration);
  const generationMs = nsToMs(o.eval_duration);
  return {
    source: 'ollama',
    promptTokens,
    promptMs,
    promptTps: rate(promptTokens, promptMs),
    generatedTokens: evalCount,
    generationMs,
    genTps: rate(evalCount, generationMs),
    loadMs: nsToMs(o.load_duration),
    totalMs: nsToMs(o.total_duration),
  };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite number, else undefined (llama.cpp writes `null` for a division by zero). */
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A non-negative count; llama-swap and others use -1 for unknown. */
function count(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

function nsToMs(v: unknown): number | undefined {
  const n = count(v);
  return n === undefined ? undefined : n / NS_PER_MS;
}

function rate(tokens: number | undefined, ms: number | undefined): number | undefined {
  if (tokens === undefined || ms === undefined || ms <= 0) return undefined;
  return (tokens * 1000) / ms;
}
