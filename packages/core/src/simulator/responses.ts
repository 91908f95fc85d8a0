/**
 * Bodies and stream chunks in llama-server's exact shapes, key order included, as recorded from build b10470
 * (test/fixtures/llama-server). Per-token chunks are string concatenation around a tail built once.
 */
import { llamaTimingsRecord, type LlamaTimingsRecord } from '../timings/llama-timings-record.js';

export const SYSTEM_FINGERPRINT = 'b10470-sim';

/** The per-request facts every final chunk reports. */
export interface Outcome {
  /** Prompt tokens, cached included. */
  promptTokens: number;
  cachedTokens: number;
  promptMs: number;
  predicted: number;
  predictedMs: number;
  finishReason: 'length' | 'stop';
  stopType: 'limit' | 'eos';
  /** Generation ran into the end of the slot's context. */
  truncated: boolean;
}

/** llama-server measures in microseconds and reports milliseconds. */
const micros = (ms: number): number => Math.round(ms * 1000) / 1000;

/** llama.cpp `timings` of an outcome: 9 keys in the server's order (see `llamaTimingsRecord`). */
export function timings(o: Outcome): LlamaTimingsRecord {
  return llamaTimingsRecord({
    cacheN: o.cachedTokens,
    promptN: o.promptTokens - o.cachedTokens,
    promptMs: micros(o.promptMs),
    predictedN: o.predicted,
    predictedMs: micros(o.predictedMs),
  });
}

export function usage(o: Outcome): Record<string, unknown> {
  return {
    completion_tokens: o.predicted,
    prompt_tokens: o.promptTokens,
    total_tokens: o.promptTokens + o.predicted,
    prompt_tokens_details: { cached_tokens: o.cachedTokens },
  };
}

/** The fields every OAI chunk of one response repeats. */
export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

const timingsField = (o: Outcome | undefined): string => (o ? `,"timings":${JSON.stringify(timings(o))}` : '');

/** `/v1/chat/completions` stream chunks. `withTimings` undefined = leave timings out (a fault). */
export function chatStream(who: ResponseIdentity) {
  const tail = `],"created":${who.created},"id":${JSON.stringify(who.id)},"model":${JSON.stringify(who.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","object":"chat.completion.chunk"`;
  return {
    role: `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}${tail}}\n\n`,
    /** `partial`: running timings, for `timings_per_token`. */
    token: (text: string, partial?: Outcome) =>
      `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(text)}}}${tail}${timingsField(partial)}}\n\n`,
    finish: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[{"finish_reason":"${o.finishReason}","index":0,"delta":{}}${tail}${timingsField(withTimings ? o : undefined)}}\n\n`,
    usage: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[${tail},"usage":${JSON.stringify(usage(o))}${timingsField(withTimings ? o : undefined)}}\n\n`,
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

/** `/v1/completions` stream: no role chunk; the final chunk carries finish_reason, usage and timings together. */
export function textStream(who: ResponseIdentity) {
  const tail = `],"created":${who.created},"model":${JSON.stringify(who.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","object":"text_completion"`;
  const id = `"id":${JSON.stringify(who.id)}`;
  return {
    token: (text: string, partial?: Outcome) =>
      `data: {"choices":[{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":null}${tail},${id}${timingsField(partial)}}\n\n`,
    finish: (o: Outcome, withTimings: boolean) =>
      `data: {"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"${o.finishReason}"}${tail},"usage":${JSON.stringify(usage(o))},${id}${timingsField(withTimings ? o : undefined)}}\n\n`,
  };
}

export function textBody(who: ResponseIdentity, text: string, o: Outcome, withTimings: boolean): string {
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

/** Native `/completion` per-token event; partials report `id_slot: -1`, as recorded. */
export function nativeToken(text: string, tokenId: number, predicted: number, evaluated: number, partial?: Outcome): string {
  return `data: {"index":0,"content":${JSON.stringify(text)},"tokens":[${tokenId}],"stop":false,"id_slot":-1,"tokens_predicted":${predicted},"tokens_evaluated":${evaluated}${timingsField(partial)}}\n\n`;
}

/** Native `/completion` final object: the non-stream body, or the last stream event with `content: ""`. */
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
    truncated: o.truncated,
    stop_type: o.stopType,
    stopping_word: '',
    tokens_cached: o.promptTokens + o.predicted,
    ...(withTimings ? { timings: timings(o) } : {}),
  };
}

/** llama-server's error body: `{"error":{"code","message","type",...extra}}`. */
export function llamaError(code: number, type: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, type, ...extra } });
}

/** The 404 llama-server answers for an unknown path or a wrong method, byte for byte. */
export const NOT_FOUND = '{"error":{"message":"File Not Found","type":"not_found_error","code":404}}';
