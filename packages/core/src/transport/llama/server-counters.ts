/**
 * The server's `/metrics` for one model: llama-server's own, a llama-swap model's under `/upstream/<model>`
 * (only asked while that model is in use: the call refreshes its TTL), a router's with `?model=`, or an
 * OpenAI-compatible server's (vLLM). A server without the route, or without `--metrics` (llama-server
 * answers 501), has no counters.
 */
import { bestEffort } from '../http/map-error.js';
import type { HttpClient } from '../http/http-client.js';
import { readServerCounters } from '../metrics/prometheus-counters.js';
import type { ServerCounters } from '../transport.js';
import { upstreamPath, type LlamaServerKind } from './routes.js';

export async function serverCounters(
  http: HttpClient,
  kind: LlamaServerKind,
  model: string,
  signal: AbortSignal | undefined,
): Promise<ServerCounters | undefined> {
  const path = kind === 'llama-server' || kind === 'openai' ? '/metrics' : upstreamPath(kind, model, '/metrics');
  const text = await bestEffort(http.text({ method: 'GET', path, signal }), signal);
  return text === undefined ? undefined : readServerCounters(text);
}
