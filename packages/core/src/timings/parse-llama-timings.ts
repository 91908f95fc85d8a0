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
  const promptMs = count(t.prompt_ms);
  const predictedN = count(t.predicted_n);
  const predictedMs = count(t.predicted_ms);
  const u = usage ? fromUsage(usage) : undefined;
  return {
    source: 'llama',
    // Without cache_n (older builds) prompt_n leaves out cached tokens, so usage's total is the better figure.
    promptTokens: promptN !== undefined && cacheN !== undefined ? promptN + cacheN : (u?.promptTokens ?? promptN),
    promptEvaluatedTokens: promptN ?? u?.promptEvaluatedTokens,
    cachedTokens: cacheN ?? u?.cachedTokens,
    promptMs,
    promptTps: speed(t.prompt_per_second, promptMs) ?? rate(promptN, promptMs),
    generatedTokens: predictedN ?? u?.generatedTokens,
    generationMs: predictedMs,
    // predicted_ms runs from the first sampled token to the last: n − 1 intervals, as the server divides.
    genTps:
      speed(t.predicted_per_second, predictedMs) ??
      rate(predictedN === undefined || predictedN < 2 ? undefined : predictedN - 1, predictedMs),
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
    promptEvaluatedTokens: promptTokens !== undefined && cached !== undefined && cached <= promptTokens ? promptTokens - cached : undefined,
    generatedTokens: count(u.completion_tokens),
  };
}

const NS_PER_MS = 1e6;

function fromOllama(o: Obj): NormalizedTimings {
  // Ollama omits zero durations (Go omitempty); an absent one stays undefined and yields no rate.
  // prompt_eval_count includes cached tokens in new builds while the duration covers only the evaluated
  // part, so promptTps is flattered on a prefix-cache hit (swapbench busts the cache by default).
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

/** A non-negative figure (count, duration or speed); llama-swap and others use -1 for unknown. */
function count(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

function nsToMs(v: unknown): number | undefined {
  const n = count(v);
  return n === undefined ? undefined : n / NS_PER_MS;
}

/** The server's own speed, dropped when the duration it came from is zero (a division by zero upstream). */
function speed(v: unknown, ms: number | undefined): number | undefined {
  return ms === 0 ? undefined : count(v);
}

function rate(tokens: number | undefined, ms: number | undefined): number | undefined {
  if (tokens === undefined || ms === undefined || ms <= 0) return undefined;
  return (tokens * 1000) / ms;
}
