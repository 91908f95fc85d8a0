/**
 * Where each request goes and what it carries, per kind of server: the streamed request's route and body,
 * and llama-server's own routes, which llama-swap serves under `/upstream/<model>`.
 */
import type { StreamRequest } from '../transport.js';

/**
 * The kinds of server this transport speaks to. `llama-router`: llama-server in router mode (started
 * without `-m`), one child llama-server per model, loaded on demand or by `POST /models/load`.
 */
export type LlamaServerKind = 'llama-swap' | 'llama-server' | 'llama-router' | 'openai';

/** The route and JSON body of one streamed request; `native` for llama.cpp's own `/completion` stream. */
export interface StreamRoute {
  path: string;
  native: boolean;
  body: Record<string, unknown>;
}

/** llama.cpp behind it (llama-server, or llama-swap's upstreams): its own routes and fields exist. */
export function isLlamaCpp(kind: LlamaServerKind): boolean {
  return kind !== 'openai';
}

/** The route and body of a streamed request to a server of this kind. */
export function streamRoute(kind: LlamaServerKind, request: StreamRequest): StreamRoute {
  const llama = isLlamaCpp(kind);
  const native = request.endpoint === 'completion' && llama;
  // `model` goes in the body on every route: llama-swap routes `/completion` by it too.
  const body: Record<string, unknown> = { model: request.model, ...request.sampling, stream: true };
  if (request.endpoint === 'chat') {
    body.messages = request.messages;
    body.max_tokens = request.maxTokens;
    body.stream_options = { include_usage: true };
  } else {
    body.prompt = request.prompt;
    body[native ? 'n_predict' : 'max_tokens'] = request.maxTokens;
    // `/v1/completions` ignores include_usage on llama.cpp; vLLM and Ollama need it for `usage`.
    if (!native) body.stream_options = { include_usage: true };
  }
  // vLLM honours ignore_eos too (others ignore unknown fields). cache_prompt is llama.cpp's alone, and an
  // OpenAI-compatible server would silently ignore it, so sending it there would only pretend to work.
  body.ignore_eos = request.ignoreEos;
  if (llama) body.cache_prompt = request.cachePrompt;
  const path = request.endpoint === 'chat' ? '/v1/chat/completions' : native ? '/completion' : '/v1/completions';
  return { path, native, body };
}

/**
 * A llama-server route for `model`: through llama-swap it lives under `/upstream/<model>`; a router takes
 * the model as `?model=` on a GET (and in the body of a POST, which `modelBody` adds).
 */
export function upstreamPath(kind: LlamaServerKind, model: string, path: string): string {
  if (kind === 'llama-router') return `${path}?model=${encodeURIComponent(model)}`;
  return kind === 'llama-swap' ? `/upstream/${modelPath(model)}${path}` : path;
}

/** A POST body to a model's own route: a router routes it by the body's `model`. */
export function modelBody(kind: LlamaServerKind, model: string, body: Record<string, unknown>): Record<string, unknown> {
  return kind === 'llama-router' ? { model, ...body } : body;
}

/** llama-swap's route that unloads `model`. */
export function unloadPath(model: string): string {
  return `/api/models/unload/${modelPath(model)}`;
}

/** A model name as a path: llama-swap names may contain `/`, which routes keep as segments. */
export function modelPath(model: string): string {
  return model.split('/').map(encodeURIComponent).join('/');
}
