/**
 * Ollama in front of the simulated models (`mode: 'ollama'`): its native routes (`/api/chat`,
 * `/api/generate` streaming NDJSON by default, `/api/tags`, `/api/ps`, `/api/version`, `/api/show`), its
 * `/v1` OpenAI routes, loading a model on its first request and unloading one on `keep_alive: 0`. Models load
 * one at a time (the swap manager's scheduling); errors are Ollama's `{"error":"..."}`.
 */
import type { GenerationEndpoint } from './generate.js';
import { newTruth, responseId, type SimRequest } from './llama-routes.js';
import { startGeneration } from './start-generation.js';
import type { ModelRuntime } from './model-runtime.js';
import { sendSwapJson, sendSwapText } from './send.js';
import type { SwapGrant } from './swap-manager.js';
import { forward, type SwapFront } from './swap-routes.js';

/** The Ollama version the simulator reports. */
const VERSION = '0.12.6';

const NATIVE: Record<string, GenerationEndpoint> = { '/api/chat': 'ollama-chat', '/api/generate': 'ollama-generate' };

export async function serveOllama(front: SwapFront, req: SimRequest): Promise<void> {
  const { res, path, method } = req;
  if (method === 'GET' && path === '/') return sendSwapText(res, 200, 'Ollama is running');
  if (method === 'GET' && path === '/api/version') return sendSwapJson(res, 200, { version: VERSION });
  if (method === 'GET' && path === '/api/tags') return sendSwapJson(res, 200, { models: [...front.runtimes.values()].map((r) => tag(r)) });
  if (method === 'GET' && path === '/api/ps') return sendSwapJson(res, 200, { models: loaded(front) });
  if (method === 'GET' && path === '/v1/models')
    return sendSwapJson(res, 200, {
      object: 'list',
      data: [...front.runtimes.keys()].map((id) => ({ id, object: 'model', created: front.ctx.created, owned_by: 'library' })),
    });
  if (method !== 'POST') return sendSwapText(res, 404, '404 page not found');
  const json = parse(req.body);
  if (!json) return sendSwapJson(res, 400, { error: 'invalid character in request body' });
  const model = typeof json.model === 'string' ? json.model : '';
  const runtime = front.runtimes.get(model);
  if (path === '/api/show') {
    if (!runtime) return notFound(req, model);
    return sendSwapJson(res, 200, show(runtime));
  }
  if (path === '/v1/chat/completions' || path === '/v1/completions') {
    if (!runtime) return notFound(req, model);
    // Ollama always caches a shared prefix: `cache_prompt` is not its to switch off.
    return forward(front, model, { ...req, body: JSON.stringify({ ...json, cache_prompt: true }) }, true);
  }
  const endpoint = NATIVE[path];
  if (!endpoint) return sendSwapText(res, 404, '404 page not found');
  if (!runtime) return notFound(req, model);
  const text = endpoint === 'ollama-chat' ? json.messages : json.prompt;
  // No prompt and `keep_alive: 0` is the documented unload; no prompt alone just loads the model.
  if (text === undefined || (endpoint === 'ollama-generate' && text === '')) {
    if (json.keep_alive === 0 || json.keep_alive === '0') {
      await front.swap.unload(model);
      return sendSwapJson(res, 200, { model, created_at: new Date().toISOString(), response: '', done: true, done_reason: 'unload' });
    }
    const grant = await front.swap.acquire(model, req.signal);
    grant.release();
    return sendSwapJson(res, 200, { model, created_at: new Date().toISOString(), response: '', done: true, done_reason: 'load' });
  }
  return generateNative(front, runtime, req, endpoint, json);
}

/** A native generation request, in llama-server's terms: Ollama's `options` become its sampling fields. */
async function generateNative(
  front: SwapFront,
  runtime: ModelRuntime,
  req: SimRequest,
  endpoint: GenerationEndpoint,
  json: Record<string, unknown>,
): Promise<void> {
  const { ctx } = front;
  const options = (typeof json.options === 'object' && json.options !== null ? json.options : {}) as Record<string, unknown>;
  const { num_predict: numPredict, num_ctx: _numCtx, ...sampling } = options;
  const raw = json.raw === true;
  const body: Record<string, unknown> = {
    ...sampling,
    model: runtime.name,
    // Ollama streams unless told not to.
    stream: json.stream !== false,
    n_predict: typeof numPredict === 'number' ? numPredict : -1,
    cache_prompt: true,
  };
  if (endpoint === 'ollama-chat') body.messages = json.messages;
  else if (raw) body.prompt = json.prompt;
  // Without `raw`, `/api/generate` puts the prompt through the model's template as a user message.
  else body.messages = [{ role: 'user', content: json.prompt }];
  const ordinal = ctx.nextOrdinal();
  const fault = ctx.pickFault(runtime.name, ordinal);
  const id = responseId();
  const truth = ctx.record(newTruth(id, runtime.name, req));
  let grant: SwapGrant;
  try {
    grant = await front.swap.acquire(runtime.name, req.signal);
  } catch {
    if (truth) truth.finishedAt = process.hrtime.bigint();
    return;
  }
  try {
    await startGeneration(ctx, runtime, req, endpoint, body, { ordinal, fault, swapped: grant.swapped, loadMs: grant.loadMs, id, truth });
  } finally {
    grant.release();
  }
}

function notFound(req: SimRequest, model: string): void {
  sendSwapJson(req.res, 404, { error: `model "${model}" not found, try pulling it first` });
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function details(runtime: ModelRuntime): Record<string, unknown> {
  return { format: 'gguf', family: 'llama', parameter_size: '8.0B', quantization_level: 'Q4_K_M', ctx: runtime.profile.ctxSize };
}

function tag(runtime: ModelRuntime): Record<string, unknown> {
  const { ctx: _ctx, ...d } = details(runtime);
  return {
    name: runtime.name,
    model: runtime.name,
    modified_at: '2026-11-01T00:00:00Z',
    size: 4_920_000_000,
    digest: digest(runtime.name),
    details: d,
  };
}

function loaded(front: SwapFront): Record<string, unknown>[] {
  const name = front.swap.loadedModel();
  const runtime = name ? front.runtimes.get(name) : undefined;
  if (!runtime) return [];
  const { ctx, ...d } = details(runtime);
  return [
    {
      ...tag(runtime),
      details: d,
      // A wall-clock timestamp in Ollama's answer (its keep-alive deadline), not a duration.
      expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
      size_vram: 4_920_000_000,
      context_length: ctx,
    },
  ];
}

function show(runtime: ModelRuntime): Record<string, unknown> {
  const { ctx, ...d } = details(runtime);
  return {
    template: '{{ .Prompt }}',
    details: d,
    model_info: { 'general.architecture': 'llama', 'llama.context_length': ctx },
    capabilities: ['completion'],
    modified_at: '2026-11-01T00:00:00Z',
  };
}

/** A stable fake digest per model name. */
function digest(name: string): string {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}
