/**
 * The llama.cpp `timings` object of one request, built from its counts and durations: what the simulator
 * sends and the fake transport reports, so both read like a real server (build b10470). The inverse of
 * `parseLlamaTimings` for llama.cpp input.
 */

/** The counts and durations a `timings` object is made of, as llama.cpp measures them. */
export interface LlamaTimingsCounts {
  /** Prompt tokens reused from the cache (`cache_n`). */
  cacheN: number;
  /** Prompt tokens evaluated this time (`prompt_n`). */
  promptN: number;
  /** Prompt processing, ms (`prompt_ms`): it includes the decode that produced the first token. */
  promptMs: number;
  /** Generated tokens (`predicted_n`). */
  predictedN: number;
  /** From the first generated token to the last, ms (`predicted_ms`). */
  predictedMs: number;
}

/** llama.cpp `timings`, its 9 keys in the server's order. A division by zero is `null`. */
export interface LlamaTimingsRecord {
  cache_n: number;
  prompt_n: number;
  prompt_ms: number;
  prompt_per_token_ms: number | null;
  prompt_per_second: number | null;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_token_ms: number | null;
  predicted_per_second: number | null;
}

/** nlohmann writes a non-finite double as null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The `timings` object llama-server reports for these counts. Prompt rates divide by `prompt_n`; generation
 * rates by `predicted_n − 1`: the first token's decode is in `prompt_ms`, so N tokens span N − 1 intervals.
 */
export function llamaTimingsRecord(c: LlamaTimingsCounts): LlamaTimingsRecord {
  const intervals = c.predictedN - 1;
  return {
    cache_n: c.cacheN,
    prompt_n: c.promptN,
    prompt_ms: c.promptMs,
    prompt_per_token_ms: finite(c.promptMs / c.promptN),
    prompt_per_second: finite((1e3 * c.promptN) / c.promptMs),
    predicted_n: c.predictedN,
    predicted_ms: c.predictedMs,
    predicted_per_token_ms: finite(c.predictedMs / intervals),
    predicted_per_second: finite((1e3 * intervals) / c.predictedMs),
  };
}
