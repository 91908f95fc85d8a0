/**
 * Ollama's model routes: the models it has (`/api/tags`), the ones loaded now (`/api/ps`), unloading one
 * (`/api/generate` with `keep_alive: 0` and no prompt), and what it says about itself (`/api/version`,
 * `/api/show`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bestEffort } from '../http/map-error.js';
import type { HttpClient } from '../http/http-client.js';
import type { ModelInfo, ServerInfo, ServerModelInfo } from '../transport.js';

/** Names in a `/api/tags` or `/api/ps` answer (`models[].name`, else `.model`). */
export function modelNames(json: unknown): string[] {
  const list = (json as { models?: unknown } | null)?.models;
  return (Array.isArray(list) ? (list as { name?: unknown; model?: unknown }[]) : []).flatMap((m) =>
    typeof m?.name === 'string' ? [m.name] : typeof m?.model === 'string' ? [m.model] : [],
  );
}

/** The models Ollama has, each marked loaded or not. */
export async function listOllamaModels(http: HttpClient, signal: AbortSignal | undefined): Promise<ModelInfo[]> {
  const tags = await http.json<{ models?: unknown[] }>({ method: 'GET', path: '/api/tags', signal });
  const loaded = await bestEffort(loadedOllamaModels(http, signal), signal);
  const raw = Array.isArray(tags?.models) ? tags.models : [];
  return modelNames(tags).map((id, i) => ({ id, ...(loaded ? { loaded: loaded.includes(id) } : {}), raw: raw[i] }));
}

/** The models Ollama has, to name in a ModelNotFoundError. */
export async function ollamaModelIds(http: HttpClient, signal: AbortSignal | undefined): Promise<string[]> {
  return modelNames(await http.json<unknown>({ method: 'GET', path: '/api/tags', signal }));
}

/** Models loaded now (`/api/ps`). */
export async function loadedOllamaModels(http: HttpClient, signal: AbortSignal | undefined): Promise<string[]> {
  return modelNames(await http.json<unknown>({ method: 'GET', path: '/api/ps', signal }));
}

/** How often to ask `/api/ps` whether an unloaded model is gone. */
const UNLOAD_POLL_MS = 50;

/**
 * Unload `model` (`keep_alive: 0`, the documented way), and wait until `/api/ps` no longer lists it: Ollama
 * answers before its runner has stopped, and the next request must really be cold.
 */
export async function unloadOllamaModel(
  http: HttpClient,
  model: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<void> {
  await http.text({ method: 'POST', path: '/api/generate', body: { model, keep_alive: 0 }, signal, model, timeoutMs });
  const deadline = performance.now() + timeoutMs;
  while ((await loadedOllamaModels(http, signal)).includes(model) && performance.now() < deadline) {
    await sleep(UNLOAD_POLL_MS, undefined, { signal });
  }
}

/** `/api/show`'s fields that tell models apart; the answer is `raw`. */
function mapShow(show: Record<string, unknown>): Omit<ServerModelInfo, 'id'> {
  const details = show.details as { quantization_level?: unknown; parameter_size?: unknown } | undefined;
  const out: Omit<ServerModelInfo, 'id'> = { raw: show };
  if (typeof show.template === 'string') out.chatTemplate = show.template;
  if (typeof details?.parameter_size === 'string' || typeof details?.quantization_level === 'string')
    out.path = [details?.parameter_size, details?.quantization_level].filter((x) => typeof x === 'string').join(' ');
  return out;
}

/** The server's version and each model's `/api/show`, with the context it is loaded with (`/api/ps`) when it is. */
export async function describeOllama(
  http: HttpClient,
  baseUrl: string,
  models: string[],
  signal: AbortSignal | undefined,
): Promise<ServerInfo> {
  const raw: Record<string, unknown> = {};
  const getJson = <T>(path: string) => bestEffort(http.json<T>({ method: 'GET', path, signal }), signal);
  const version = await getJson<{ version?: unknown }>('/api/version');
  if (version !== undefined) raw['/api/version'] = version;
  const ps = await getJson<{ models?: { name?: unknown; context_length?: unknown }[] }>('/api/ps');
  if (ps !== undefined) raw['/api/ps'] = ps;
  const info: ServerInfo = { kind: 'ollama', baseUrl, models: [], raw };
  for (const id of models) {
    const show = await bestEffort(
      http.json<Record<string, unknown>>({ method: 'POST', path: '/api/show', body: { model: id }, signal }),
      signal,
    );
    const running = ps?.models?.find((m) => m?.name === id);
    info.models.push({
      id,
      ...(show ? mapShow(show) : {}),
      ...(typeof version?.version === 'string' ? { build: `ollama ${version.version}` } : {}),
      ...(typeof running?.context_length === 'number' ? { contextPerSlot: running.context_length } : {}),
    });
  }
  return info;
}
