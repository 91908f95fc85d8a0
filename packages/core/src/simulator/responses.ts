/**
 * Bodies and stream chunks in llama-server's exact shapes (key order included), as recorded from build
 * b10470: see test/fixtures/llama-server.
 */

export const SYSTEM_FINGERPRINT = 'b10470-sim';

/** The per-request facts every final chunk reports. */
export interface Outcome {
  promptTokens: number;
  cachedTokens: number;
  promptMs: number;
  predicted: number;
  predictedMs: number;
  finishReason: 'length' | 'stop';
}

/** llama.cpp `timings`: 9 keys in this order; a division by zero becomes null, as nlohmann writes it. */
export function timings(o: Outcome): Record<string, number | null> {
  const evaluated = o.promptTokens - o.cachedTokens;
  const ratio = (a: number, b: number): number | null => (b > 0 && Number.isFinite(a / b) ? a / b : null);
  return {
    cache_n: o.cachedTokens,
    prompt_n: evaluated,
    prompt_ms: round3(o.promptMs),
    prompt_per_token_ms: ratio(o.promptMs, evaluated),
    prompt_per_second: ratio(1000 * evaluated, o.promptMs),
    predicted_n: o.predicted,
    predicted_ms: round3(o.predictedMs),
    predicted_per_token_ms: ratio(o.predictedMs, o.predicted),
    predicted_per_second: ratio(1000 * o.predicted, o.predictedMs),
  };
}

export function usage(o: Outcome): Record<string, unknown> {
  return {
    completion_tokens: o.predicted,
    prompt_tokens: o.promptTokens,
    total_tokens: o.promptTokens + o.predicted,
    prompt_tokens_details: { cached_tokens: o.cachedTokens },
  };
}

/** The fields after `choices` in OAI chunks, built once per request. */
export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

/** Serializers for one streamed response: the per-token path only concatenates strings. */
export function chatStream(who: ResponseIdentity) {
  const tail = `],"created":${who.created},"id":${JSON.stringify(who.id)},"model":${JSON.stringify(who.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","object":"chat.completion.chunk"`;
  return {
    role: `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}${tail}}\n\n`,
    token: (text: string) => `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(text)}}}${tail}}\n\n`,
    finish: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[{"finish_reason":"${o.finishReason}","index":0,"delta":{}}${tail}${withTimings ? `,"timings":${JSON.stringify(timings(o))}` : ''}}\n\n`,
    usage: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[${tail},"usage":${JSON.stringify(usage(o))}${withTimings ? `,"timings":${JSON.stringify(timings(o))}` : ''}}\n\n`,
  };
}

export function chatBody(who: ResponseIdentity, text: string, o: Outcome, withTimings: boolean): string {
  return JSON.stringify({
    choices: [{ finish_reason: o.finishReason, index: 0, message: { role: 'assistant', content: text } }],
    created: who.created,
    model: who.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    object: 'chat.completion',
    usage: usage(o),
    id: who.id,
    ...(withTimings ? { timings: timings(o) } : {}),
  });
}

/** `/v1/completions`: the final chunk carries finish_reason, usage and timings together. */
export function textCompletionStream(who: ResponseIdentity) {
  const tail = `],"created":${who.created},"model":${JSON.stringify(who.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","object":"text_completion"`;
  const id = `"id":${JSON.stringify(who.id)}`;
  return {
    role: '',
    token: (text: string) => `data: {"choices":[{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":null}${tail},${id}}\n\n`,
    finish: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"${o.finishReason}"}${tail},"usage":${JSON.stringify(usage(o))},${id}${withTimings ? `,"timings":${JSON.stringify(timings(o))}` : ''}}\n\n`,
    usage: () => '',
  };
}

export function textCompletionBody(who: ResponseIdentity, text: string, o: Outcome, withTimings: boolean): string {
  return JSON.stringify({
    choices: [{ text, index: 0, logprobs: null, finish_reason: o.finishReason }],
    created: who.created,
    model: who.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    object: 'text_completion',
    usage: usage(o),
    id: who.id,
    ...(withTimings ? { timings: timings(o) } : {}),
  });
}

/** Native `/completion`: one object per token; the last has `stop: true` and timings; no `[DONE]`. */
export function nativeStream(promptTokens: number) {
  let predicted = 0;
  return {
    token: (text: string, id: number) =>
      `data: {"index":0,"content":${JSON.stringify(text)},"tokens":[${id}],"stop":false,"id_slot":-1,"tokens_predicted":${++predicted},"tokens_evaluated":${promptTokens}}\n\n`,
  };
}

export function nativeFinal(
  model: string,
  content: string,
  prompt: string,
  o: Outcome,
  settings: Record<string, unknown>,
  slot: number,
  withTimings: boolean,
): Record<string, unknown> {
  return {
    index: 0,
    content,
    tokens: [],
    id_slot: slot,
    stop: true,
    model,
    tokens_predicted: o.predicted,
    tokens_evaluated: o.promptTokens,
    generation_settings: settings,
    prompt,
    has_new_line: content.includes('\n'),
    truncated: false,
    stop_type: o.finishReason === 'length' ? 'limit' : 'eos',
    stopping_word: '',
    tokens_cached: o.promptTokens + o.predicted,
    ...(withTimings ? { timings: timings(o) } : {}),
  };
}

/** llama-server's error body. */
export function llamaError(code: number, type: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, type, ...extra } });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
