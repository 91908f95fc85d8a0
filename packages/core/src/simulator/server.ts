/**
 * `startSimulator`: a loopback `node:http` server that behaves like llama-server, or like llama-swap in front
 * of several llama-servers, one loaded at a time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { llamaServerResponse, type ClosingSockets } from './connection.js';
import { applyEarlyFault } from './early-faults.js';
import { ForeignTrafficHolder } from './foreign-traffic.js';
import { pickFault, pickPathFault, validateFaults } from './faults.js';
import { serveLlama, type SimContext, type SimRequest } from './llama-routes.js';
import { ModelRuntime } from './model-runtime.js';
import { llamaError } from './responses.js';
import { Scheduler } from './scheduler.js';
import { sendJson, sendSwapJson, swapError } from './send.js';
import { SwapManager } from './swap-manager.js';
import { serveSwap, type SwapFront } from './swap-routes.js';
import { serveOllama } from './ollama-routes.js';
import { errorMessage } from '../util/error-message.js';
import {
  DEFAULT_MODEL_PROFILE,
  type Fault,
  type GroundTruthRequest,
  type ModelProfile,
  type SimulatedModel,
  type Simulator,
  type SimulatorOptions,
} from './types.js';

/** Start a simulated llama-server, or llama-swap with several models, on loopback (port 0 by default). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const mode = options.mode ?? 'llama-swap';
  const seed = options.seed ?? 1;
  const host = options.host ?? '127.0.0.1';
  const specs = options.models?.length ? options.models : [{ name: 'sim-model' }];
  const served = mode === 'llama-server' ? specs.slice(0, 1) : specs;
  const scheduler = new Scheduler();
  let faults: Fault[] = validateFaults(options.faults ?? []);
  // Requests each fault with `paths` has seen, for its `requests` filter; a new fault list starts over.
  let pathCounts = new Map<Fault, number>();
  const keepTruth = options.groundTruth ?? true;
  const groundTruth: GroundTruthRequest[] = [];
  const stats = { requests: 0, active: 0, peakActive: 0 };
  const onActiveChange = (delta: number) => {
    stats.active += delta;
    if (stats.active > stats.peakActive) stats.peakActive = stats.active;
  };
  const runtimes = new Map<string, ModelRuntime>();
  for (const spec of served) {
    if (runtimes.has(spec.name)) throw new TypeError(`simulator: model "${spec.name}" is listed twice`);
    runtimes.set(spec.name, new ModelRuntime(spec.name, profileOf(spec), onActiveChange));
  }
  const initial = options.initiallyLoaded ?? null;
  if (mode !== 'llama-server' && initial !== null && !runtimes.has(initial))
    throw new TypeError(`simulator: initiallyLoaded "${initial}" is not one of the models`);

  const ctx: SimContext = {
    scheduler,
    seed,
    created: Math.floor(Date.now() / 1000),
    nextOrdinal: () => ++stats.requests,
    pickFault: (model, ordinal) => pickFault(faults, seed, model, ordinal),
    record: (truth) => {
      if (!keepTruth) return undefined;
      groundTruth.push(truth);
      return truth;
    },
    unknownModel: (res, model) =>
      mode === 'ollama'
        ? sendSwapJson(res, 404, { error: `model "${String(model)}" not found, try pulling it first` })
        : mode === 'llama-swap'
          ? swapError(res, 404, 'no router for requested model')
          : sendJson(res, 404, llamaError(404, 'not_found_error', `model '${String(model)}' not found`)),
  };
  const swap =
    mode !== 'llama-server'
      ? new SwapManager(
          new Map([...runtimes].map(([name, r]) => [name, { loadMs: r.profile.loadMs, onLoad: () => r.reset() }])),
          scheduler,
          initial,
        )
      : undefined;
  const front: SwapFront | undefined = swap && { runtimes, swap, ctx };
  const single = runtimes.values().next().value!;
  const foreign = new ForeignTrafficHolder(runtimes, () => swap?.loadedModel() ?? single.name);
  if (options.foreignTraffic) foreign.set(options.foreignTraffic);

  // Every request's controller, so close() can end streams, slot waits and loads at once.
  const controllers = new Set<AbortController>();
  const sockets = new Set<Socket>();
  const closingSockets: ClosingSockets = new WeakSet();
  // llama-server's connection headers and its close after each stream; llama-swap (Go's net/http) keeps them.
  const ServerResponse = mode === 'llama-server' ? llamaServerResponse(options.closeAfterStream ?? true, closingSockets) : undefined;
  const server = createServer({ requestTimeout: 0, ...(ServerResponse && { ServerResponse }) }, (req, res) => {
    // First thing: node emits 'request' once the headers are parsed, so this is when the request reached us.
    const arrivedAt = process.hrtime.bigint();
    // A request sent on a connection that is closing after a stream: llama-server never reads it.
    if (closingSockets.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    const controller = new AbortController();
    controllers.add(controller);
    res.on('close', () => {
      controllers.delete(controller);
      // The client left before the response was complete: stop generating, free the slot.
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    handle(req, res, controller.signal, arrivedAt).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, llamaError(500, 'server_error', errorMessage(err)));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal, arrivedAt: bigint): Promise<void> {
    res.sendDate = false;
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    // A GET's (empty) body is drained, so the connection can be reused.
    if (method !== 'POST' && method !== 'PUT') req.resume();
    const body = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
    // A fault on this path answers instead of the server, before any route (or llama-swap) sees the request.
    const early = pickPathFault(faults, seed, url.pathname, pathCounts);
    if (early) return applyEarlyFault(early, res, signal);
    if (url.pathname === '/sim/foreign') return serveForeign(method, body, res);
    const receivedAt = process.hrtime.bigint();
    const id = req.headers['x-request-id'];
    const requestId = typeof id === 'string' ? id : undefined;
    const request: SimRequest = { method, path: url.pathname, body, arrivedAt, receivedAt, requestId, res, signal };
    if (!front) return serveLlama(ctx, single, request);
    if (mode === 'ollama') return serveOllama(front, request);
    return serveSwap(front, request, url.searchParams, req.headers['content-type']);
  }

  /** `GET /sim/foreign`: what is held; `POST /sim/foreign {"requests": N, "model"?}`: hold N (0 stops). */
  function serveForeign(method: string, body: string, res: ServerResponse): void {
    if (method === 'POST') {
      try {
        const parsed = JSON.parse(body || '{}') as { requests?: unknown; model?: unknown };
        foreign.set({ requests: Number(parsed.requests ?? 0), model: typeof parsed.model === 'string' ? parsed.model : undefined });
      } catch (err) {
        sendSwapJson(res, 400, { error: errorMessage(err) });
        return;
      }
    }
    sendSwapJson(res, 200, foreign.state);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    groundTruth,
    stats: () => ({
      requests: stats.requests,
      active: stats.active,
      peakActive: stats.peakActive,
      queued: [...runtimes.values()].reduce((n, r) => n + r.queued, 0) + (swap?.waiting() ?? 0),
    }),
    loadedModels: () => {
      if (!swap) return [single.name];
      const m = swap.loadedModel();
      return m ? [m] : [];
    },
    setForeignTraffic: (traffic) => foreign.set(traffic),
    setFaults: (next) => {
      faults = validateFaults(next);
      pathCounts = new Map();
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const c of controllers) c.abort(new Error('simulator closed'));
        foreign.stop();
        scheduler.stop();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      })),
  };
}

function profileOf(spec: SimulatedModel): ModelProfile {
  if (typeof spec.name !== 'string' || spec.name === '') throw new TypeError('simulator: every model needs a name');
  const p: ModelProfile = { ...DEFAULT_MODEL_PROFILE };
  for (const key of Object.keys(DEFAULT_MODEL_PROFILE) as (keyof ModelProfile)[]) {
    const v = spec[key];
    if (v !== undefined) p[key] = v;
  }
  const bad = (why: string) => new RangeError(`simulator: model "${spec.name}": ${why}`);
  if (!(p.promptTps > 0) || !(p.genTps > 0)) throw bad('promptTps and genTps must be > 0');
  if (!Number.isInteger(p.slots) || p.slots < 1) throw bad('slots must be an integer ≥ 1');
  if (!Number.isInteger(p.ctxSize) || p.ctxSize < 2) throw bad('ctxSize must be an integer ≥ 2');
  if (!(p.jitter >= 0 && p.jitter <= 1)) throw bad('jitter must be in [0, 1]');
  if (!(p.ttftMs >= 0) || !(p.loadMs >= 0) || !(p.batchSlowdown >= 0)) throw bad('ttftMs, loadMs and batchSlowdown must be ≥ 0');
  return p;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
