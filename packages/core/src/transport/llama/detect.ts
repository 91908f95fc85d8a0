/**
 * What is listening at a base URL: llama-swap answers `GET /running`, llama-server `GET /props`; anything
 * else that answers HTTP is taken as OpenAI-compatible (vLLM, Ollama's `/v1`).
 */
import { HttpStatusError, StreamProtocolError } from '../../errors/errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { LlamaServerKind } from './routes.js';

/** Identify the server. Rejects with HostUnreachableError (or a timeout) when nothing answers. */
export async function detectKind(http: HttpClient, signal: AbortSignal | undefined): Promise<LlamaServerKind> {
  if (await answers(http, '/running', signal, (j) => Array.isArray(j.running))) return 'llama-swap';
  if (await answers(http, '/props', signal, (j) => 'default_generation_settings' in j || 'build_info' in j)) return 'llama-server';
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
