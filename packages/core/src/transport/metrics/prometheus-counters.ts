/**
 * The counters of a Prometheus text exposition (`/metrics`) that explain a benchmark's figures, from
 * llama.cpp's (`llamacpp:` prefix) or vLLM's (`vllm:` prefix) names. Only sample lines are read: comments
 * (`# HELP`, `# TYPE`) are skipped, labels are summed over (vLLM labels by model and engine; one server
 * benchmarked at a time), and a line that does not parse is ignored rather than failing the run.
 */
import type { ServerCounters } from '../transport.js';

type Field = Exclude<keyof ServerCounters, 'source'>;

/** Metric names per field, each server's own; the first one a server exports wins. */
const NAMES: Record<ServerCounters['source'], Partial<Record<Field, string[]>>> = {
  'llama.cpp': {
    requestsProcessing: ['llamacpp:requests_processing'],
    requestsDeferred: ['llamacpp:requests_deferred'],
    kvCacheUsage: ['llamacpp:kv_cache_usage_ratio'],
    promptTokensTotal: ['llamacpp:prompt_tokens_total'],
    cachedPromptTokensTotal: ['llamacpp:prompt_tokens_cached_total'],
    generatedTokensTotal: ['llamacpp:tokens_predicted_total'],
    decodesTotal: ['llamacpp:n_decode_total'],
  },
  vllm: {
    requestsProcessing: ['vllm:num_requests_running'],
    requestsDeferred: ['vllm:num_requests_waiting'],
    // Renamed in vLLM V1; both are ratios 0–1 despite "perc".
    kvCacheUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
    promptTokensTotal: ['vllm:prompt_tokens_total'],
    generatedTokensTotal: ['vllm:generation_tokens_total'],
  },
};

/** `name{labels} value [timestamp]`: the name and the value of one sample line. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/;

/** Sum of each metric's samples over its labels. */
export function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line.trim());
    if (!m) continue;
    const value = Number(m[2]);
    if (!Number.isFinite(value)) continue;
    values.set(m[1]!, (values.get(m[1]!) ?? 0) + value);
  }
  return values;
}

/** The counters a `/metrics` answer holds, or undefined when it has neither llama.cpp's nor vLLM's. */
export function readServerCounters(text: string): ServerCounters | undefined {
  const values = parseExposition(text);
  for (const source of ['llama.cpp', 'vllm'] as const) {
    const counters: ServerCounters = { source };
    let found = false;
    for (const [field, names] of Object.entries(NAMES[source]) as [Field, string[]][]) {
      const name = names.find((n) => values.has(n));
      if (name === undefined) continue;
      counters[field] = values.get(name);
      found = true;
    }
    if (found) return counters;
  }
  return undefined;
}
