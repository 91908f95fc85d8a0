/**
 * llama-server's sampling parameter objects, keys in the recorded order: `params` in `/props` and `/slots`, and
 * `generation_settings` in native `/completion` responses. float values go through Math.fround because the
 * server stores them as C floats (0.8 reads back as 0.800000011920929).
 */

/** The request fields the simulator reads into its parameter objects. */
export interface RequestParams {
  seed: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  nPredict: number;
  ignoreEos: boolean;
  stream: boolean;
  nProbs: number;
  stop: string[];
  timingsPerToken: boolean;
  /** `deepseek` for a request, `none` in `/props` defaults. */
  reasoningFormat: string;
}

export const DEFAULT_PARAMS: RequestParams = {
  seed: 4294967295,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  nPredict: -1,
  ignoreEos: false,
  stream: false,
  nProbs: 0,
  stop: [],
  timingsPerToken: false,
  reasoningFormat: 'none',
};

/** `params` of `/props` `default_generation_settings` and of `/slots`. */
export function slotParams(p: RequestParams): Record<string, unknown> {
  return build(p, false);
}

/** `generation_settings` of a native `/completion` response: slot params plus stop, logit_bias and grammar. */
export function generationSettings(p: RequestParams): Record<string, unknown> {
  return build(p, true);
}

function build(p: RequestParams, full: boolean): Record<string, unknown> {
  const f = Math.fround;
  return {
    seed: p.seed,
    temperature: f(p.temperature),
    dynatemp_range: 0,
    dynatemp_exponent: 1,
    top_k: p.topK,
    top_p: f(p.topP),
    min_p: f(p.minP),
    top_n_sigma: -1,
    xtc_probability: 0,
    xtc_threshold: f(0.1),
    typical_p: 1,
    repeat_last_n: 64,
    repeat_penalty: 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    dry_multiplier: 0,
    dry_base: 1.75,
    dry_allowed_length: 2,
    dry_penalty_last_n: 64,
    ...(full ? { dry_sequence_breakers: ['\n', ':', '"', '*'] } : {}),
    mirostat: 0,
    mirostat_tau: 5,
    mirostat_eta: f(0.1),
    adaptive_target: -1,
    adaptive_decay: f(0.9),
    ...(full ? { stop: p.stop } : {}),
    max_tokens: p.nPredict,
    n_predict: p.nPredict,
    n_keep: 0,
    n_discard: 0,
    ignore_eos: p.ignoreEos,
    stream: p.stream,
    // ignore_eos biases EOS (token 2) to -inf, which JSON writes as null.
    ...(full ? { logit_bias: p.ignoreEos ? [{ bias: null, token: 2 }] : [] } : {}),
    n_probs: p.nProbs,
    min_keep: 0,
    ...(full ? { grammar: '', grammar_lazy: false, grammar_triggers: [], preserved_tokens: [] } : {}),
    chat_format: 'Content-only',
    reasoning_format: p.reasoningFormat,
    reasoning_in_content: false,
    generation_prompt: '',
    samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'],
    'speculative.types': 'none',
    timings_per_token: p.timingsPerToken,
    post_sampling_probs: false,
    backend_sampling: false,
    lora: [],
  };
}

/** Read the sampling fields of a request body, with llama-server's defaults and precedence. */
export function readParams(json: Record<string, unknown>, nPredict: number, stream: boolean): RequestParams {
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const stop =
    typeof json.stop === 'string'
      ? [json.stop]
      : Array.isArray(json.stop)
        ? json.stop.filter((s): s is string => typeof s === 'string')
        : [];
  return {
    seed: typeof json.seed === 'number' && json.seed >= 0 ? json.seed >>> 0 : DEFAULT_PARAMS.seed,
    temperature: num(json.temperature, DEFAULT_PARAMS.temperature),
    topK: num(json.top_k, DEFAULT_PARAMS.topK),
    topP: num(json.top_p, DEFAULT_PARAMS.topP),
    minP: num(json.min_p, DEFAULT_PARAMS.minP),
    nPredict,
    ignoreEos: json.ignore_eos === true,
    stream,
    nProbs: num(json.n_probs, 0),
    stop,
    timingsPerToken: json.timings_per_token === true,
    reasoningFormat: 'deepseek',
  };
}
