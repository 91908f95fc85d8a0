/**
 * Ollama's native answer shapes (docs/api.md, api/types.go): one NDJSON object per token, then a final
 * object with `done: true`, `done_reason` and the figures, durations in integer nanoseconds, each left out
 * when zero (Go `omitempty`). `prompt_eval_count` counts cached tokens too, `prompt_eval_duration` only the
 * evaluated part (PR #16428).
 */
import type { Outcome } from './responses.js';

/** Ollama's NDJSON stream headers (Go net/http). */
export const NDJSON_HEADERS = { 'Content-Type': 'application/x-ndjson', 'Transfer-Encoding': 'chunked' };

/** Which native route answered: `/api/chat` puts text in `message.content`, `/api/generate` in `response`. */
export type OllamaRoute = 'chat' | 'generate';

const NS_PER_MS = 1e6;

/** A duration in integer nanoseconds, or absent when zero (omitempty). */
function ns(ms: number): number | undefined {
  const n = Math.round(ms * NS_PER_MS);
  return n > 0 ? n : undefined;
}

/** The head every object of a response starts with. */
function head(route: OllamaRoute, model: string, text: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, created_at: new Date().toISOString() };
  if (route === 'chat') body.message = { role: 'assistant', content: text };
  else body.response = text;
  return body;
}

/** One streamed token, as an NDJSON line. */
export function ollamaToken(route: OllamaRoute, model: string, piece: string): string {
  return `${JSON.stringify({ ...head(route, model, piece), done: false })}\n`;
}

/** The final object: the whole `content` when not streamed, else empty text. */
export function ollamaFinal(route: OllamaRoute, model: string, content: string, o: Outcome, loadMs: number): Record<string, unknown> {
  const totalMs = loadMs + o.promptMs + o.predictedMs;
  const figures: Record<string, number | undefined> = {
    total_duration: ns(totalMs),
    load_duration: ns(loadMs),
    prompt_eval_count: o.promptTokens || undefined,
    prompt_eval_duration: ns(o.promptMs),
    eval_count: o.predicted || undefined,
    eval_duration: ns(o.predictedMs),
  };
  const final: Record<string, unknown> = { ...head(route, model, content), done: true, done_reason: o.finishReason };
  for (const [key, value] of Object.entries(figures)) if (value !== undefined) final[key] = value;
  return final;
}
