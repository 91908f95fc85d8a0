/** llama-server's informational bodies for one model: `/props`, `/slots`, `/v1/models`, `/metrics`. */
import type { ModelRuntime } from './model-runtime.js';
import { SYSTEM_FINGERPRINT } from './responses.js';
import { DEFAULT_PARAMS, slotParams } from './sampling-params.js';
import { CHAT_TEMPLATE } from './tokenizer.js';

export function propsBody(runtime: ModelRuntime): Record<string, unknown> {
  return {
    default_generation_settings: { params: slotParams(DEFAULT_PARAMS), n_ctx: runtime.profile.ctxSize },
    total_slots: runtime.profile.slots,
    model_alias: runtime.name,
    model_ftype: 'Q4_K - Medium',
    model_path: `models/${runtime.name}.gguf`,
    modalities: { vision: false, video: false, audio: false },
    media_marker: '<__media_sim__>',
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: true,
    ui: false,
    ui_settings: {},
    chat_template: CHAT_TEMPLATE,
    chat_template_caps: {
      supports_object_arguments: false,
      supports_parallel_tool_calls: false,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: false,
      supports_tools: false,
      supports_typed_content: false,
    },
    bos_token: '<s>',
    eos_token: '</s>',
    build_info: SYSTEM_FINGERPRINT,
    is_sleeping: false,
    cors_proxy_enabled: false,
  };
}

/** `/slots`: minimal until a slot has had a task; a finished task shows its ids with counters back at zero. */
export function slotsBody(runtime: ModelRuntime): Record<string, unknown>[] {
  return runtime.slots.map((s) => {
    const base = { id: s.id, n_ctx: runtime.profile.ctxSize, speculative: false, is_processing: s.busy };
    const t = s.task;
    if (!t) return base;
    return {
      ...base,
      id_task: t.id,
      n_prompt_tokens: t.nPromptTokens,
      n_prompt_tokens_processed: s.busy ? t.processed : 0,
      n_prompt_tokens_cache: s.busy ? t.cached : 0,
      params: t.params,
      next_token: [
        s.busy
          ? { has_next_token: true, has_new_line: t.hasNewLine, n_remain: t.remain, n_decoded: t.decoded }
          : { has_next_token: false, has_new_line: false, n_remain: -1, n_decoded: 0 },
      ],
    };
  });
}

/** `/v1/models` and `/models`: an Ollama-style `models` list, then the OpenAI `data` list. */
export function modelsBody(runtime: ModelRuntime, created: number): Record<string, unknown> {
  const name = runtime.name;
  return {
    models: [
      {
        name,
        model: name,
        modified_at: '',
        size: '',
        digest: '',
        type: 'model',
        description: '',
        tags: [''],
        capabilities: ['completion'],
        parameters: '',
        details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' },
      },
    ],
    object: 'list',
    data: [
      {
        id: name,
        aliases: [name],
        tags: [],
        object: 'model',
        created,
        owned_by: 'llamacpp',
        meta: {
          vocab_type: 1,
          n_vocab: 32000,
          n_ctx: runtime.profile.ctxSize,
          n_ctx_train: runtime.profile.ctxSize,
          n_embd: 4096,
          n_params: 8_030_261_248,
          size: 4_920_733_696,
          ftype: 'Q4_K - Medium',
        },
      },
    ],
  };
}

/** Prometheus text with llama-server's metric names, order and help. The throughput gauges reset per scrape. */
export function metricsText(runtime: ModelRuntime): string {
  const m = runtime.metrics;
  const w = runtime.window;
  const rows: [string, 'counter' | 'gauge', string, number][] = [
    ['prompt_tokens_total', 'counter', 'Number of prompt tokens processed, excluding cached tokens', m.promptTokens],
    ['prompt_tokens_cached_total', 'counter', 'Number of prompt tokens reused from the cache', m.cachedTokens],
    ['prompt_seconds_total', 'counter', 'Total time spent processing prompts', m.promptSeconds],
    ['tokens_predicted_total', 'counter', 'Number of generation tokens processed', m.predictedTokens],
    ['tokens_predicted_seconds_total', 'counter', 'Total time spent generating tokens', m.predictedSeconds],
    [
      'n_decode_total',
      'counter',
      'Total number of llama_decode() calls, excluding speculative decoding and multimodal decoding',
      Math.round(m.decodes),
    ],
    ['n_tokens_max', 'counter', 'Largest observed sequence length (prompt + generation)', m.maxTokens],
    ['spec_decode_num_draft_tokens_total', 'counter', 'Speculative: Total draft tokens generated', 0],
    ['spec_decode_num_accepted_tokens_total', 'counter', 'Speculative: Total draft tokens accepted by the target model', 0],
    ['spec_decode_num_drafts_total', 'counter', 'Speculative: Total speculative decoding verification steps', 0],
    ['prompt_tokens_seconds', 'gauge', 'Average prompt throughput in tokens/s', w.promptSeconds > 0 ? w.promptTokens / w.promptSeconds : 0],
    [
      'predicted_tokens_seconds',
      'gauge',
      'Average generation throughput in tokens/s',
      w.predictedSeconds > 0 ? w.predictedTokens / w.predictedSeconds : 0,
    ],
    ['requests_processing', 'gauge', 'Number of requests processing', runtime.busySlots],
    ['requests_deferred', 'gauge', 'Number of requests deferred', runtime.queued],
    [
      'n_busy_slots_per_decode',
      'gauge',
      'Average number of busy slots per llama_decode() call',
      w.decodes > 0 ? w.busyWeighted / w.decodes : 0,
    ],
  ];
  runtime.window = { promptTokens: 0, promptSeconds: 0, predictedTokens: 0, predictedSeconds: 0, decodes: 0, busyWeighted: 0 };
  return rows
    .map(
      ([name, type, help, value]) =>
        `# HELP llamacpp:${name} ${help}\n# TYPE llamacpp:${name} ${type}\nllamacpp:${name} ${formatG(value)}\n`,
    )
    .join('');
}

/** A double as C++ streams print it by default (`%g`, 6 significant digits): 0.098257, 5760.4, 1e+06. */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [mantissa, exp] = x.toExponential(5).split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${strip(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return strip(x.toFixed(Math.max(0, 5 - e)));
}
