/**
 * The model list (`/v1/models`) in the shapes servers give it: OpenAI `data[]` (llama-server, llama-swap,
 * vLLM), with llama-swap's load status when it sends one, or Ollama's native `models[]`.
 */
import { bestEffort } from '../http/map-error.js';
import type { HttpClient } from '../http/http-client.js';
import type { ModelInfo } from '../transport.js';
import type { LlamaServerKind } from './routes.js';
import { runningModels } from './swap-operations.js';

/** One model of a `/v1/models` answer and the server's own record of it. */
export interface ListedModel {
  id: string;
  raw: unknown;
}

/** The models of a `/v1/models` answer: OpenAI `data[].id`, else Ollama-style `models[].name`. */
export function listedModels(json: unknown): ListedModel[] {
  const body = json as { data?: unknown; models?: unknown } | null;
  const data = Array.isArray(body?.data) ? (body.data as { id?: unknown }[]) : [];
  const list = data.flatMap((m) => (typeof m?.id === 'string' ? [{ id: m.id, raw: m as unknown }] : []));
  if (list.length > 0) return list;
  // Ollama's native shape, when `/v1/models` is proxied to it.
  const models = Array.isArray(body?.models) ? (body.models as { name?: unknown }[]) : [];
  return models.flatMap((m) => (typeof m?.name === 'string' ? [{ id: m.name, raw: m as unknown }] : []));
}

/** The ids the server lists, to name in a ModelNotFoundError. */
export async function listedModelIds(http: HttpClient, signal: AbortSignal | undefined): Promise<string[]> {
  return listedModels(await http.json<unknown>({ method: 'GET', path: '/v1/models', signal })).map((m) => m.id);
}

/** The models the server offers; through llama-swap, whether each is loaded. */
export async function listModels(http: HttpClient, kind: LlamaServerKind, signal: AbortSignal | undefined): Promise<ModelInfo[]> {
  const json = await http.json<unknown>({ method: 'GET', path: '/v1/models', signal });
  const list: ModelInfo[] = listedModels(json).map(({ id, raw }) => {
    const status = (raw as { status?: { value?: unknown } }).status?.value;
    return { id, ...(typeof status === 'string' ? { loaded: status === 'loaded' } : {}), raw };
  });
  // Older llama-swap builds have no `status`: one `/running` answers for all.
  if (kind === 'llama-swap' && list.some((m) => m.loaded === undefined)) {
    const loaded = await bestEffort(runningModels(http, signal), signal);
    if (loaded) for (const m of list) m.loaded ??= loaded.includes(m.id);
  }
  return list;
}
