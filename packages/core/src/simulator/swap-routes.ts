/**
 * llama-swap in front of the simulated models: its own routes (`/running`, `/unload`, `/v1/models` of the
 * configured models, `/health`), routing by the body's `model`, `/props?model=` and `/upstream/<model>/...`.
 * Anything routed to a model waits for llama-swap to load it; errors use llama-swap's own body.
 */
import { ENDPOINTS, newTruth, responseId, serveLlama, type SimContext, type SimRequest } from './llama-routes.js';
import type { ModelRuntime } from './model-runtime.js';
import { sendSwapJson, sendSwapText, swapError } from './send.js';
import type { SwapGrant, SwapManager } from './swap-manager.js';

/** POST routes llama-swap dispatches by the JSON body's `model`. */
const MODEL_ROUTES = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/completion',
  '/infill',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/messages',
  '/v1/messages/count_tokens',
]);

export interface SwapFront {
  runtimes: Map<string, ModelRuntime>;
  swap: SwapManager;
  ctx: SimContext;
}

export async function serveSwap(front: SwapFront, req: SimRequest, query: URLSearchParams, contentType: string | undefined): Promise<void> {
  const { runtimes, swap } = front;
  const { res, path, method } = req;
  if (method === 'GET' && (path === '/health' || path === '/wol-health')) return sendSwapText(res, 200, 'OK');
  if (method === 'GET' && (path === '/v1/models' || path === '/models')) return sendSwapJson(res, 200, modelList(front));
  if (method === 'GET' && path === '/running') return sendSwapJson(res, 200, { running: running(front) });
  if ((method === 'GET' || method === 'POST') && path === '/unload') {
    await swap.unload();
    return sendSwapText(res, 200, 'OK');
  }
  if (method === 'POST' && path === '/api/models/unload') {
    await swap.unload();
    return sendSwapJson(res, 200, { msg: 'ok' });
  }
  if (method === 'POST' && path.startsWith('/api/models/unload/')) {
    const model = decodeURIComponent(path.slice('/api/models/unload/'.length));
    if (!runtimes.has(model)) return swapError(res, 404, `model ${model} not found`);
    await swap.unload(model);
    return sendSwapText(res, 200, 'OK');
  }
  if (path.startsWith('/upstream/')) {
    const rest = path.slice('/upstream/'.length);
    // Model names may contain '/': the longest configured name that prefixes the path wins.
    const model = [...runtimes.keys()].filter((m) => rest === m || rest.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
    if (!model) return swapError(res, 404, 'no router for requested model');
    const upstreamPath = rest.slice(model.length) || '/';
    return forward(front, model, { ...req, path: upstreamPath }, ENDPOINTS[upstreamPath] !== undefined && method === 'POST');
  }
  if (method === 'GET' && path === '/props') {
    const model = query.get('model');
    if (!model) return swapError(res, 404, 'no model id could be identified');
    if (!runtimes.has(model)) return swapError(res, 404, 'no router for requested model');
    return forward(front, model, req, false);
  }
  if (method === 'POST' && MODEL_ROUTES.has(path)) {
    // llama-swap reads `model` only from a JSON body; anything else is parsed as a form and has none.
    const model = contentType?.includes('application/json') ? modelOf(req.body) : undefined;
    if (!model) return swapError(res, 404, 'no model id could be identified');
    if (!runtimes.has(model)) return swapError(res, 404, 'no router for requested model');
    return forward(front, model, req, ENDPOINTS[path] !== undefined);
  }
  return sendSwapText(res, 404, '404 page not found');
}

/** Wait for llama-swap to have `model` loaded, then let its llama-server answer. */
export async function forward(front: SwapFront, model: string, req: SimRequest, generation: boolean): Promise<void> {
  const { ctx } = front;
  const runtime = front.runtimes.get(model)!;
  const ordinal = generation ? ctx.nextOrdinal() : 0;
  const fault = generation ? ctx.pickFault(model, ordinal) : undefined;
  const id = responseId();
  const truth = generation ? ctx.record(newTruth(id, model, req)) : undefined;
  // An unknown-model fault is llama-swap's answer: nothing gets loaded.
  if (fault?.kind === 'unknown-model') return serveLlama(ctx, runtime, req, { ordinal, fault, swapped: false, loadMs: 0, id, truth });
  let grant: SwapGrant;
  try {
    grant = await front.swap.acquire(model, req.signal);
  } catch {
    if (truth) truth.finishedAt = process.hrtime.bigint();
    return;
  }
  try {
    await serveLlama(
      ctx,
      runtime,
      req,
      generation ? { ordinal, fault, swapped: grant.swapped, loadMs: grant.loadMs, id, truth } : undefined,
    );
  } finally {
    grant.release();
  }
}

function modelOf(body: string): string | undefined {
  try {
    const model = (JSON.parse(body) as { model?: unknown } | null)?.model;
    return typeof model === 'string' && model !== '' ? model : undefined;
  } catch {
    return undefined;
  }
}

function modelList(front: SwapFront): Record<string, unknown> {
  const loaded = front.swap.loadedModel();
  return {
    object: 'list',
    data: [...front.runtimes.keys()].map((id) => ({
      id,
      object: 'model',
      created: front.ctx.created,
      owned_by: 'llama-swap',
      meta: { llamaswap: { type: 'model' } },
      status: { value: loaded === id ? 'loaded' : 'unloaded' },
    })),
  };
}

function running(front: SwapFront): Record<string, unknown>[] {
  const names = [...front.runtimes.keys()];
  return front.swap.running().map(({ model, state }) => {
    const port = 5800 + names.indexOf(model);
    return {
      model,
      state,
      cmd: `llama-server --port ${port} -m models/${model}.gguf`,
      proxy: `http://127.0.0.1:${port}`,
      ttl: 0,
      name: '',
      description: '',
    };
  });
}
