/**
 * llama-swap's own operations: which models are loaded (`/running`) and unloading one. A plain
 * llama-server has neither; the transport offers them only for llama-swap.
 */
import type { HttpClient } from '../http/http-client.js';
import { unloadPath } from './routes.js';

/** One model in llama-swap's `/running` answer. */
export interface RunningModel {
  model: string;
  /** `ready`, `starting`, `stopping`, ...; legacy builds list ready models only, without a state. */
  state: string | undefined;
}

/** The models of a `/running` answer; entries without a model name are skipped. */
export function parseRunning(json: unknown): RunningModel[] {
  const list = (json as { running?: unknown } | null)?.running;
  return (Array.isArray(list) ? (list as { model?: unknown; state?: unknown }[]) : []).flatMap((r) =>
    typeof r?.model === 'string' ? [{ model: r.model, state: typeof r.state === 'string' ? r.state : undefined }] : [],
  );
}

/** Models loaded and ready (a legacy entry without a state is ready). */
export function readyModels(running: RunningModel[]): string[] {
  return running.filter((r) => r.state === undefined || r.state === 'ready').map((r) => r.model);
}

/** Every model llama-swap has started, in whatever state. */
export async function fetchRunning(http: HttpClient, signal: AbortSignal | undefined): Promise<RunningModel[]> {
  return parseRunning(await http.json<unknown>({ method: 'GET', path: '/running', signal }));
}

/** Models loaded and ready now. */
export async function runningModels(http: HttpClient, signal: AbortSignal | undefined): Promise<string[]> {
  return readyModels(await fetchRunning(http, signal));
}

/**
 * Unload `model`; resolves once its process has stopped, so the next request really is cold. Stopping
 * takes longer than a short call may: `timeoutMs` is this call's deadline.
 */
export async function unloadModel(http: HttpClient, model: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
  await http.text({ method: 'POST', path: unloadPath(model), signal, model, timeoutMs });
}
