/**
 * The Transport for llama-server (also in router mode), llama-swap and OpenAI-compatible servers (vLLM,
 * Ollama's `/v1`), on the shared undici HTTP client; a server detected as Ollama gets the Ollama transport.
 * What each kind can do differs: only llama-swap and the router unload and list loaded models, only llama.cpp
 * applies its template and shows its slots, vLLM tokenizes its own way; the methods a kind lacks are left
 * out, so the engine sees it. Each job lives in its own module; this one assembles them.
 */
import { EventStream } from '../http/event-stream.js';
import type { HttpClient } from '../http/http-client.js';
import type { CallOptions, StreamRequest, Transport, TransportEvent, TransportTraits } from '../transport.js';
import { autoTransport } from './auto-transport.js';
import { describeServer } from './describe-server.js';
import { type DetectedKind, detectKind } from './detect.js';
import { buildOllamaTransport } from '../ollama/ollama-transport.js';
import { listedModelIds, listModels } from './models.js';
import { probeActivity } from './probe-activity.js';
import { isLlamaCpp, streamRoute, type LlamaServerKind } from './routes.js';
import { serverCounters } from './server-counters.js';
import { StreamParser } from './stream-parser.js';
import { routerLoadedModels, routerUnload } from './router-operations.js';
import { runningModels, unloadModel } from './swap-operations.js';
import { applyTemplate, tokenize } from './template.js';
import { vllmTokenize } from './vllm-tokenize.js';
import { checkTransportOptions, DEFAULT_LOAD_TIMEOUT_MS, type LlamaTransportOptions } from './transport-options.js';
import { transportHttpClient } from './transport-http-client.js';

export type { LlamaTransportOptions } from './transport-options.js';

/** How each kind behaves (see TransportTraits). */
const TRAITS: Record<LlamaServerKind, TransportTraits> = {
  // One model, served under whatever name the request gives.
  'llama-server': Object.freeze({ anyModelName: true, describesLoadedModelsOnly: false }),
  'llama-swap': Object.freeze({ anyModelName: false, describesLoadedModelsOnly: true }),
  // Router mode: each model a child llama-server, started on its first request (asking its props would).
  'llama-router': Object.freeze({ anyModelName: false, describesLoadedModelsOnly: true }),
  // Usage reports every prompt's size; caching cannot be switched off, so it is measured (see calibrate).
  openai: Object.freeze({ anyModelName: false, describesLoadedModelsOnly: false, reportsPromptTokens: true, obeysCachePrompt: false }),
};

/**
 * Kinds whose server closes its connection after every streamed answer although it offered keep-alive
 * (llama-server b10470, measured). Their streams ask to close (`Connection: close`) and each goes out on a
 * connection of its own, opened ahead (see StreamConnections), so no request is ever written on a
 * connection the server is closing. Connections to llama-swap (Go net/http) and other servers carry one
 * stream after another: a stream written on a reused connection the server closed without answering is
 * sent once more (see EventStream).
 */
const CLOSES_AFTER_STREAM: Record<LlamaServerKind, boolean> = {
  'llama-server': true,
  // The router is llama-server's own HTTP server: treated the same (closing is always safe).
  'llama-router': true,
  'llama-swap': false,
  openai: false,
};

/**
 * Create a transport. With `kind: 'auto'` (the default) the server is identified on the first call.
 * Throws ConfigError for a bad option (a base URL with credentials, say) before opening anything.
 */
export function createLlamaTransport(options: LlamaTransportOptions): Transport {
  const { shownUrl } = checkTransportOptions(options);
  const http = httpClient(options);
  const kind = options.kind ?? 'auto';
  if (kind !== 'auto') return buildTransport(kind, http, options, shownUrl);
  return autoTransport(http, shownUrl, clientSide(http, options), (detected) => buildTransport(detected, http, options, shownUrl));
}

/**
 * Connect to a server, identifying it first when `kind` is `auto` (the default), so the transport's
 * `kind` and optional methods are right from the start. Rejects with ConfigError for a bad option, and
 * with HostUnreachableError (or a RequestTimeoutError past `callTimeoutMs`) when nothing answers.
 */
export async function connectLlamaTransport(options: LlamaTransportOptions & CallOptions): Promise<Transport> {
  const { signal, ...rest } = options;
  const { shownUrl } = checkTransportOptions(rest);
  const http = httpClient(rest);
  try {
    const kind = rest.kind === undefined || rest.kind === 'auto' ? await detectKind(http, signal) : rest.kind;
    return buildTransport(kind, http, rest, shownUrl);
  } catch (err) {
    await http.close();
    throw err;
  }
}

/** What a transport is on the client side, whatever its server: its clock, its connection limit and reserve. */
function clientSide(http: HttpClient, options: LlamaTransportOptions): Pick<Transport, 'clock' | 'connections' | 'reserveConnections'> {
  return {
    clock: options.clock ?? (() => performance.now()),
    // An injected dispatcher has its own limits, unknown here.
    connections: options.dispatcher ? undefined : options.connections,
    reserveConnections: (count) => http.reserveStreams(count),
  };
}

function httpClient(options: LlamaTransportOptions): HttpClient {
  return transportHttpClient(options, listedModelIds);
}

/**
 * The transport for a known kind: the required methods, and the optional ones this kind has. `baseUrl` is
 * the redacted one, for messages and `describe`; the HTTP client keeps the real one.
 */
function buildTransport(kind: DetectedKind, http: HttpClient, options: LlamaTransportOptions, baseUrl: string): Transport {
  // Ollama's native API is a transport of its own; detection may name it.
  if (kind === 'ollama') return buildOllamaTransport(http, options, baseUrl);
  const client = clientSide(http, options);
  const clock = client.clock!;
  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  // Through llama-swap or a router, the tokenizer routes load the model first; llama-server answers them from memory.
  const tokenizerTimeoutMs = kind === 'llama-swap' || kind === 'llama-router' ? loadTimeoutMs : undefined;
  const transport: Transport = {
    kind,
    baseUrl,
    traits: TRAITS[kind],
    ...client,
    listModels: (o) => listModels(http, kind, o?.signal),
    /** Stamping and parsing happen in the socket's read callback (EventStream); leaving the loop cancels. */
    stream(request: StreamRequest, o?: CallOptions): AsyncIterable<TransportEvent> {
      const { path, native, body } = streamRoute(kind, request);
      return new EventStream(
        http,
        {
          method: 'POST',
          path,
          body,
          signal: o?.signal,
          model: request.model,
          closeConnection: CLOSES_AFTER_STREAM[kind],
          ...(request.requestId === undefined ? {} : { headers: { 'x-request-id': request.requestId } }),
        },
        new StreamParser(native),
        clock,
      );
    },
    describe: (models, o) => describeServer(http, kind, baseUrl, models, o?.signal),
    serverCounters: (model, o) => serverCounters(http, kind, model, o?.signal),
    close: () => http.close(),
  };
  if (isLlamaCpp(kind)) {
    transport.applyTemplate = (model, messages, o) => applyTemplate(http, kind, model, messages, o?.signal, tokenizerTimeoutMs);
    transport.tokenize = (model, input, o) => tokenize(http, kind, model, input, o?.signal, tokenizerTimeoutMs);
    transport.probeActivity = (o) => probeActivity(http, kind, o?.signal);
  }
  // vLLM's tokenizer; on a server without it, calibration falls back to one-token probes.
  if (kind === 'openai') transport.tokenize = (model, input, o) => vllmTokenize(http, model, input, o?.signal);
  if (kind === 'llama-swap') {
    transport.runningModels = (o) => runningModels(http, o?.signal);
    transport.unload = (model, o) => unloadModel(http, model, o?.signal, loadTimeoutMs);
  }
  if (kind === 'llama-router') {
    transport.runningModels = (o) => routerLoadedModels(http, o?.signal);
    transport.unload = (model, o) => routerUnload(http, model, o?.signal, loadTimeoutMs);
  }
  return transport;
}
