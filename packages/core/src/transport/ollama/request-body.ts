/**
 * Ollama's native generation requests: `/api/chat` for chat (the model's template applied by Ollama),
 * `/api/generate` with `raw: true` for a completion prompt (no template, as `/v1/completions`). Sampling
 * goes in `options` under the same names Ollama uses (temperature, top_p, top_k, seed, min_p, ...), the
 * output length as `options.num_predict`. Ollama has no `ignore_eos` and no per-request cache switch.
 */
import type { StreamRequest } from '../transport.js';

/** What every request of a transport adds: context size and how long the model stays loaded. */
export interface OllamaRequestSettings {
  numCtx?: number | undefined;
  keepAlive?: string | number | undefined;
}

/** The route and JSON body of one streamed request. */
export function ollamaStreamRoute(
  request: StreamRequest,
  settings: OllamaRequestSettings,
): { path: string; body: Record<string, unknown> } {
  const options: Record<string, unknown> = { ...request.sampling, num_predict: request.maxTokens };
  if (settings.numCtx !== undefined) options.num_ctx = settings.numCtx;
  const body: Record<string, unknown> = { model: request.model, stream: true, options };
  if (settings.keepAlive !== undefined) body.keep_alive = settings.keepAlive;
  if (request.endpoint === 'chat') return { path: '/api/chat', body: { ...body, messages: request.messages } };
  return { path: '/api/generate', body: { ...body, prompt: request.prompt, raw: true } };
}
