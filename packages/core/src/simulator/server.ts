/**
 * The simulator's HTTP server: llama-server's routes for each model, and in llama-swap mode the proxy in
 * front (routing by `model`, one model loaded at a time, `/running`, `/unload`, `/upstream/<model>/...`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { prng } from '../engine/prompts.js';
import type { ChatMessage } from '../transport/transport.js';
import { generate, type GenerationEndpoint, type GenerationRequest } from './generate.js';
import { ModelRuntime } from './model-runtime.js';
import { llamaError, SYSTEM_FINGERPRINT } from './responses.js';
import { Scheduler, sleep } from './scheduler.js';
import { applyTemplate, CHAT_TEMPLATE, detokenize, pieceId, tokenizeText, tokenPieces } from './tokenizer.js';
import { DEFAULT_MODEL_PROFILE, type Fault, type GroundTruthRequest, type Simulator, type SimulatorOptions } from './types.js';

const JSON_HEADERS = { Server: 'llama.cpp', 'Access-Control-Allow-Origin': '', 'Content-Type': 'application/json; charset=utf-8' };
const NOT_FOUND = '{"error":{"message":"File Not Found","type":"not_found_error","code":404}}';

/** Start a simulated llama-server, or llama-swap with several models, on loopback. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const mode = options.mode ?? 'llama-swap';
  const seed = options.seed ?? 1;
  const scheduler = new Scheduler();
  const faultRng = prng(seed * 7919 + 1);
  let faults: Fault[] = options.faults ?? [];
  const keepTruth = options.groundTruth ?? true;
  const groundTruth: GroundTruthRequest[] = [];
  const stats = { requests: 0, active: 0, peakActive: 0 };
  const onActiveChange = (delta: number) => {
    stats.active += delta;
    stats.peakActive = Math.max(stats.peakActive, stats.active);
  };
  const specs = options.models?.length ? options.models : [{ name: 'sim-model' }];
  const runtimes = new Map(specs.map((m) => [m.name, new ModelRuntime(m.name, { ...DEFAULT_MODEL_PROFILE, ...stripUndefined(m) }, onActiveChange)]));
  const created = Math.floor(Date.now() / 1000);
  const swap = createSwapState(runtimes, scheduler, mode === 'llama-server' ? specs[0]!.name : (options.initiallyLoaded ?? null));

  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, llamaError(500, 'server_error', err instanceof Error ? err.message : String(err)));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const body = req.method === 'POST' ? await readBody(req) : '';
    if (mode === 'llama-server') return serveModel(runtimes.get(specs[0]!.name)!, path, req, res, body);

    // llama-swap's own routes.
    if (req.method === 'GET' && (path === '/health' || path === '/wol-health')) return sendText(res, 200, 'OK');
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) return send(res, 200, JSON.stringify(swapModels()));
    if (req.method === 'GET' && path === '/running') return send(res, 200, JSON.stringify({ running: swap.running() }));
    if (req.method === 'GET' && path === '/unload') {
      await swap.unload(undefined);
      return sendText(res, 200, 'OK');
    }
    if (req.method === 'POST' && path === '/api/models/unload') {
      await swap.unload(undefined);
      return send(res, 200, '{"msg":"ok"}');
    }
    if (req.method === 'POST' && path.startsWith('/api/models/unload/')) {
      const model = decodeURIComponent(path.slice('/api/models/unload/'.length));
      if (!runtimes.has(model)) return swapError(res, 404, `model ${model} not found`);
      await swap.unload(model);
      return sendText(res, 200, 'OK');
    }
    if (path.startsWith('/upstream/')) {
      const rest = path.slice('/upstream/'.length);
      const model = [...runtimes.keys()].find((m) => rest === m || rest.startsWith(`${m}/`));
      if (!model) return swapError(res, 404, 'no router for requested model');
      await swap.ensure(model);
      return withInflight(model, () => serveModel(runtimes.get(model)!, rest.slice(model.length) || '/', req, res, body));
    }
    if (req.method === 'GET' && path === '/props') {
      const model = url.searchParams.get('model');
      if (!model || !runtimes.has(model)) return swapError(res, 404, 'no model id could be identified');
      await swap.ensure(model);
      return withInflight(model, () => serveModel(runtimes.get(model)!, '/props', req, res, body));
    }
    if (req.method === 'POST' && GENERATION_ROUTES.has(path)) {
      let model: unknown;
      try {
        model = (JSON.parse(body) as { model?: unknown }).model;
      } catch {
        model = undefined;
      }
      if (typeof model !== 'string' || model === '') return swapError(res, 404, 'no model id could be identified');
      if (!runtimes.has(model)) return swapError(res, 404, 'no router for requested model');
      const t0 = performance.now();
      const swapped = await swap.ensure(model);
      return withInflight(model, () => serveModel(runtimes.get(model)!, path, req, res, body, swapped ? performance.now() - t0 : undefined));
    }
    return sendText(res, 404, '404 page not found');
  }

  async function withInflight(model: string, run: () => Promise<void>): Promise<void> {
    const runtime = runtimes.get(model)!;
    runtime.enter();
    try {
      await run();
    } finally {
      runtime.leave();
    }
  }

  /** llama-server's routes, for one model. `loadMs` is set when llama-swap loaded it for this request. */
  async function serveModel(runtime: ModelRuntime, path: string, req: IncomingMessage, res: ServerResponse, body: string, loadMs?: number): Promise<void> {
    const p = runtime.profile;
    if (req.method === 'GET') {
      switch (path) {
        case '/health':
        case '/v1/health':
          return send(res, 200, '{"status":"ok"}');
        case '/props':
          return send(res, 200, JSON.stringify(props(runtime)));
        case '/slots':
          return send(res, 200, JSON.stringify(runtime.slots.map((s) => ({ id: s.id, n_ctx: p.ctxSize, speculative: false, is_processing: s.busy, ...(s.idTask === undefined ? {} : { id_task: s.idTask, n_prompt_tokens: s.nPromptTokens }) }))));
        case '/metrics':
          res.writeHead(200, { Server: 'llama.cpp', 'Content-Type': 'text/plain; version=0.0.4' });
          return void res.end(metricsText(runtime));
        case '/v1/models':
        case '/models':
          return send(res, 200, JSON.stringify(serverModels(runtime)));
        default:
          return send(res, 404, NOT_FOUND);
      }
    }
    if (req.method !== 'POST') return send(res, 404, NOT_FOUND);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
      if (typeof json !== 'object' || json === null) throw new Error('[json.exception.type_error.302] type must be object');
    } catch (err) {
      return send(res, 500, llamaError(500, 'server_error', (err as Error).message));
    }
    switch (path) {
      case '/tokenize': {
        const content = typeof json.content === 'string' ? json.content : '';
        const opts = { addSpecial: json.add_special === true, parseSpecial: json.parse_special !== false };
        if (json.with_pieces === true) return send(res, 200, JSON.stringify({ tokens: tokenPieces(content, opts).map((piece) => ({ id: pieceId(piece), piece })) }));
        return send(res, 200, JSON.stringify({ tokens: tokenizeText(content, opts) }));
      }
      case '/detokenize': {
        const tokens = Array.isArray(json.tokens) ? (json.tokens as number[]) : [];
        return send(res, 200, JSON.stringify({ content: detokenize(tokens) }));
      }
      case '/apply-template': {
        if (!Array.isArray(json.messages)) return send(res, 400, llamaError(400, 'invalid_request_error', "'messages' is required"));
        return send(res, 200, JSON.stringify({ prompt: applyTemplate(json.messages as ChatMessage[]) }));
      }
    }
    const endpoint = ENDPOINTS[path];
    if (!endpoint) return send(res, 404, NOT_FOUND);

    const ordinal = ++stats.requests;
    const fault = pickFault(runtime.name, ordinal);
    let promptText: string;
    let promptTokens: number[];
    if (endpoint === 'chat') {
      if (!Array.isArray(json.messages)) return send(res, 400, llamaError(400, 'invalid_request_error', "'messages' is required"));
      promptText = applyTemplate(json.messages as ChatMessage[]);
      // As llama-server does: BOS added although the Llama-2 template starts with <s> (two BOS tokens).
      promptTokens = tokenizeText(promptText, { addSpecial: true, parseSpecial: true });
    } else {
      promptText = typeof json.prompt === 'string' ? json.prompt : '';
      promptTokens = tokenizeText(promptText, { addSpecial: true, parseSpecial: true });
      if (endpoint === 'native') promptText = `<s> ${promptText}`;
    }
    const id = `chatcmpl-${randomBytes(16).toString('base64url').slice(0, 32)}`;
    const truth: GroundTruthRequest | undefined = keepTruth
      ? {
          id,
          model: runtime.name,
          endpoint: path,
          receivedAt: process.hrtime.bigint(),
          tokenWrites: [],
          promptTokens: promptTokens.length,
          cachedTokens: 0,
          predictedTokens: 0,
          swapped: loadMs !== undefined,
          loadMs: loadMs ?? 0,
          ...(fault ? { fault: fault.kind } : {}),
        }
      : undefined;
    if (truth) groundTruth.push(truth);

    if (fault?.kind === 'http-500') return send(res, 500, llamaError(500, 'server_error', 'simulated internal error'));
    if (fault?.kind === 'http-503') return send(res, 503, llamaError(503, 'unavailable_error', 'Loading model'));
    if (fault?.kind === 'unknown-model') {
      return mode === 'llama-swap' ? swapError(res, 404, 'no router for requested model') : send(res, 404, llamaError(404, 'not_found_error', `model '${String(json.model)}' not found`));
    }
    if (promptTokens.length >= p.ctxSize) {
      return send(
        res,
        400,
        llamaError(400, 'exceed_context_size_error', `request (${promptTokens.length} tokens) exceeds the available context size (${p.ctxSize} tokens), try increasing it`, {
          n_prompt_tokens: promptTokens.length,
          n_ctx: p.ctxSize,
        }),
      );
    }
    const maxTokens = firstNumber(json.n_predict, json.max_completion_tokens, json.max_tokens) ?? -1;
    const requestSeed = typeof json.seed === 'number' ? json.seed : 0xffffffff;
    const g: GenerationRequest = {
      endpoint,
      stream: json.stream === true,
      includeUsage: (json.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      promptTokens,
      promptText,
      maxTokens,
      ignoreEos: json.ignore_eos === true,
      cachePrompt: json.cache_prompt !== false,
      // Same simulator seed and request order → same text.
      seed: (seed * 1_000_003 + ordinal * 7919 + requestSeed) >>> 0,
      settings: { n_predict: maxTokens, seed: requestSeed, temperature: json.temperature ?? 0.8, ignore_eos: json.ignore_eos === true },
    };
    const modelName = runtime.name;
    await generate({ runtime, scheduler, modelName, identity: { id, created: Math.floor(Date.now() / 1000), model: modelName }, fault, truth, req, res }, g);
  }

  function pickFault(model: string, ordinal: number): Fault | undefined {
    for (const f of faults) {
      if (f.model !== undefined && f.model !== model) continue;
      if (f.requests !== undefined && !f.requests.includes(ordinal)) continue;
      if (faultRng() >= (f.probability ?? 1)) continue;
      return f;
    }
    return undefined;
  }

  function props(runtime: ModelRuntime): Record<string, unknown> {
    return {
      default_generation_settings: { params: { seed: 4294967295, temperature: 0.8, top_k: 40, top_p: 0.95, min_p: 0.05, n_predict: -1 }, n_ctx: runtime.profile.ctxSize },
      total_slots: runtime.profile.slots,
      model_alias: runtime.name,
      model_ftype: 'Q4_K - Medium',
      model_path: `models/${runtime.name}.gguf`,
      modalities: { vision: false, video: false, audio: false },
      endpoint_slots: true,
      endpoint_props: false,
      endpoint_metrics: true,
      chat_template: CHAT_TEMPLATE,
      bos_token: '<s>',
      eos_token: '</s>',
      build_info: SYSTEM_FINGERPRINT,
      is_sleeping: false,
    };
  }

  function serverModels(runtime: ModelRuntime): Record<string, unknown> {
    return {
      models: [{ name: runtime.name, model: runtime.name, type: 'model', capabilities: ['completion'] }],
      object: 'list',
      data: [
        {
          id: runtime.name,
          aliases: [runtime.name],
          tags: [],
          object: 'model',
          created,
          owned_by: 'llamacpp',
          meta: { vocab_type: 1, n_vocab: 32000, n_ctx: runtime.profile.ctxSize, n_ctx_train: runtime.profile.ctxSize, n_embd: 4096, n_params: 8_000_000_000, size: 4_900_000_000, ftype: 'Q4_K - Medium' },
        },
      ],
    };
  }

  function swapModels(): Record<string, unknown> {
    return {
      object: 'list',
      data: [...runtimes.keys()].map((id) => ({ id, object: 'model', created, owned_by: 'llama-swap', name: id, description: 'simulated', status: { value: swap.loaded() === id ? 'loaded' : 'unloaded' } })),
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    groundTruth,
    stats: () => ({ requests: stats.requests, active: stats.active, peakActive: stats.peakActive, queued: [...runtimes.values()].reduce((a, r) => a + r.queued, 0) }),
    loadedModels: () => {
      const m = swap.loaded();
      return m ? [m] : [];
    },
    setFaults: (next) => {
      faults = next;
    },
    close: async () => {
      scheduler.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

const ENDPOINTS: Record<string, GenerationEndpoint | undefined> = {
  '/v1/chat/completions': 'chat',
  '/chat/completions': 'chat',
  '/v1/completions': 'text',
  '/completions': 'text',
  '/completion': 'native',
};
const GENERATION_ROUTES = new Set(['/v1/chat/completions', '/v1/completions', '/completion']);

/** llama-swap: one model at a time; a swap waits for the loaded model's requests to finish, then loads. */
function createSwapState(runtimes: Map<string, ModelRuntime>, scheduler: Scheduler, initial: string | null) {
  let loaded: string | null = initial;
  let starting: string | null = null;
  let pending = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    pending++;
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next.finally(() => pending--);
  };
  return {
    loaded: () => loaded,
    running: () => [
      ...(loaded ? [{ model: loaded, state: 'ready', cmd: `llama-server -m models/${loaded}.gguf`, proxy: 'http://127.0.0.1:5800', ttl: 0, name: loaded, description: 'simulated' }] : []),
      ...(starting ? [{ model: starting, state: 'starting', cmd: `llama-server -m models/${starting}.gguf`, proxy: 'http://127.0.0.1:5800', ttl: 0, name: starting, description: 'simulated' }] : []),
    ],
    /** Make `model` the loaded one; true when this call loaded it. */
    ensure(model: string): Promise<boolean> {
      if (loaded === model && pending === 0) return Promise.resolve(false);
      return enqueue(async () => {
        if (loaded === model) return false;
        if (loaded) await runtimes.get(loaded)!.whenIdle();
        loaded = null;
        starting = model;
        await sleep(scheduler, runtimes.get(model)!.profile.loadMs);
        starting = null;
        loaded = model;
        return true;
      });
    },
    unload(model: string | undefined): Promise<void> {
      return enqueue(async () => {
        if (!loaded || (model !== undefined && loaded !== model)) return;
        await runtimes.get(loaded)!.whenIdle();
        loaded = null;
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, JSON_HEADERS);
  res.end(body);
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** llama-swap's own error body (new router). */
function swapError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ src: 'llama-swap', error: message }));
}

function metricsText(runtime: ModelRuntime): string {
  const m = runtime.metrics;
  const line = (name: string, type: string, help: string, value: number) => `# HELP llamacpp:${name} ${help}\n# TYPE llamacpp:${name} ${type}\nllamacpp:${name} ${value}\n`;
  return (
    line('prompt_tokens_total', 'counter', 'Number of prompt tokens processed, excluding cached tokens', m.promptTokens) +
    line('prompt_tokens_cached_total', 'counter', 'Number of prompt tokens reused from the cache', m.cachedTokens) +
    line('prompt_seconds_total', 'counter', 'Total time spent processing prompts', m.promptSeconds) +
    line('tokens_predicted_total', 'counter', 'Number of generation tokens processed', m.predictedTokens) +
    line('tokens_predicted_seconds_total', 'counter', 'Total time spent generating tokens', m.predictedSeconds) +
    line('n_decode_total', 'counter', 'Total number of llama_decode() calls', m.decodes) +
    line('n_tokens_max', 'counter', 'Largest observed sequence length (prompt + generation)', m.maxTokens) +
    line('prompt_tokens_seconds', 'gauge', 'Average prompt throughput in tokens/s', m.promptSeconds > 0 ? m.promptTokens / m.promptSeconds : 0) +
    line('predicted_tokens_seconds', 'gauge', 'Average generation throughput in tokens/s', m.predictedSeconds > 0 ? m.predictedTokens / m.predictedSeconds : 0) +
    line('requests_processing', 'gauge', 'Number of requests processing', runtime.busySlots) +
    line('requests_deferred', 'gauge', 'Number of requests deferred', runtime.queued)
  );
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'name')) as Partial<T>;
}
