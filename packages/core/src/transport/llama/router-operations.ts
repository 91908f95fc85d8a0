/**
 * llama-server's router mode (started without `-m`: one child llama-server per model): which models are
 * loaded (`GET /models`, each with `status.value` `loaded`, `loading` or `unloaded`) and unloading one
 * (`POST /models/unload {"model"}`), as llama.cpp b10470 answers them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from '../http/http-client.js';

/** One model of the router's `/models` answer and its state. */
export interface RouterModel {
  id: string;
  state: string | undefined;
}

/** The models of a `/models` answer. */
export function parseRouterModels(json: unknown): RouterModel[] {
  const data = (json as { data?: unknown } | null)?.data;
  return (Array.isArray(data) ? (data as { id?: unknown; status?: { value?: unknown } }[]) : []).flatMap((m) =>
    typeof m?.id === 'string' ? [{ id: m.id, state: typeof m.status?.value === 'string' ? m.status.value : undefined }] : [],
  );
}

/** Every model the router knows, with its state. */
export async function fetchRouterModels(http: HttpClient, signal: AbortSignal | undefined): Promise<RouterModel[]> {
  return parseRouterModels(await http.json<unknown>({ method: 'GET', path: '/models', signal }));
}

/** Models loaded now. */
export async function routerLoadedModels(http: HttpClient, signal: AbortSignal | undefined): Promise<string[]> {
  return (await fetchRouterModels(http, signal)).filter((m) => m.state === 'loaded').map((m) => m.id);
}

/** How often to ask `/models` whether an unloading model is gone. */
const UNLOAD_POLL_MS = 50;

/**
 * Unload `model` and wait until the router says it is unloaded, so the next request really is cold. An
 * already unloaded model is fine (the router answers 400 then; the state is what counts).
 */
export async function routerUnload(http: HttpClient, model: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
  const state = async () => (await fetchRouterModels(http, signal)).find((m) => m.id === model)?.state;
  if ((await state()) === 'unloaded') return;
  await http.text({ method: 'POST', path: '/models/unload', body: { model }, signal, model, timeoutMs });
  const deadline = performance.now() + timeoutMs;
  while ((await state()) !== 'unloaded' && performance.now() < deadline) await sleep(UNLOAD_POLL_MS, undefined, { signal });
}
