/**
 * What is listening at a base URL: llama-swap answers `GET /running`, llama-server `GET /props` (in router
 * mode with `role: "router"`), Ollama
 * `GET /api/version` (`{"version":"0.x"}`, its native API); anything else that answers HTTP is taken as
 * OpenAI-compatible (vLLM, or another server speaking `/v1`).
 */
import { HttpStatusError, StreamProtocolError } from '../../errors/errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { LlamaServerKind } from './routes.js';

/** The kinds detection can name: llama.cpp's and OpenAI's, which this transport speaks, and Ollama. */
export type DetectedKind = LlamaServerKind | 'ollama';

/** Identify the server. Rejects with HostUnreachableError (or a timeout) when nothing answers. */
export async function detectKind(http: HttpClient, signal: AbortSignal | undefined): Promise<DetectedKind> {
  if (await answers(http, '/running', signal, (j) => Array.isArray(j.running))) return 'llama-swap';
  let router = false;
  const llama = await answers(http, '/props', signal, (j) => {
    // Router mode's `/props` says `role: "router"` and has no model of its own.
    router = j.role === 'router';
    return 'default_generation_settings' in j || 'build_info' in j;
  });
  if (llama) return router ? 'llama-router' : 'llama-server';
  if (await answers(http, '/api/version', signal, (j) => typeof j.version === 'string')) return 'ollama';
  return 'openai';
}

async function answers(
  http: HttpClient,
  path: string,
  signal: AbortSignal | undefined,
  test: (json: Record<string, unknown>) => boolean,
): Promise<boolean> {
  try {
    const json = await http.json<unknown>({ method: 'GET', path, signal });
    return typeof json === 'object' && json !== null && test(json as Record<string, unknown>);
  } catch (err) {
    // An HTTP answer, even an error or not JSON, means the server is there but is not this kind.
    if (err instanceof HttpStatusError || err instanceof StreamProtocolError) return false;
    throw err;
  }
}
