/**
 * The Transport for Ollama's native API: streams from `/api/chat` and `/api/generate` (NDJSON) with
 * Ollama's own figures (`prompt_eval_count`, `eval_count`, nanosecond durations, `load_duration`), the
 * loaded models from `/api/ps` for cold starts, and unloading (`keep_alive: 0`) for swap times. Ollama has
 * no tokenizer route: prompts are sized by one-token probes (`traits.reportsPromptTokens`).
 */
import { EventStream } from '../http/event-stream.js';
import type { HttpClient } from '../http/http-client.js';
import { transportHttpClient } from '../llama/transport-http-client.js';
import { checkTransportOptions, DEFAULT_LOAD_TIMEOUT_MS, type LlamaTransportOptions } from '../llama/transport-options.js';
import type { CallOptions, StreamRequest, Transport, TransportEvent, TransportTraits } from '../transport.js';
import { describeOllama, listOllamaModels, loadedOllamaModels, ollamaModelIds, unloadOllamaModel } from './models.js';
import { NdjsonParser } from './ndjson-parser.js';
import { ollamaStreamRoute } from './request-body.js';

/** How to reach an Ollama server: the llama transport's options, without `kind`. */
export type OllamaTransportOptions = Omit<LlamaTransportOptions, 'kind'>;

/**
 * Ollama sizes prompts by its reports (no tokenizer route) and reuses cached prefixes whatever it is told
 * (no per-request switch): the engine measures the head it always reuses.
 */
const TRAITS: TransportTraits = Object.freeze({
  anyModelName: false,
  describesLoadedModelsOnly: false,
  reportsPromptTokens: true,
  obeysCachePrompt: false,
});

/** Create an Ollama transport. Throws ConfigError for a bad option before opening anything. */
export function createOllamaTransport(options: OllamaTransportOptions): Transport {
  const { shownUrl } = checkTransportOptions(options);
  return buildOllamaTransport(ollamaHttpClient(options), options, shownUrl);
}

/** The HTTP client an Ollama transport uses (the llama transport's auto-detection builds one too). */
export function ollamaHttpClient(options: OllamaTransportOptions): HttpClient {
  // `{"error":"model \"x\" not found, try pulling it first"}` (404) reads as a missing model.
  return transportHttpClient(options, ollamaModelIds);
}

/** An Ollama transport on an existing client; `baseUrl` is the redacted one, for messages. */
export function buildOllamaTransport(http: HttpClient, options: OllamaTransportOptions, baseUrl: string): Transport {
  const clock = options.clock ?? (() => performance.now());
  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const settings = { numCtx: options.numCtx, keepAlive: options.keepAlive };
  return {
    kind: 'ollama',
    baseUrl,
    traits: TRAITS,
    clock,
    connections: options.dispatcher ? undefined : options.connections,
    reserveConnections: (count) => http.reserveStreams(count),
    listModels: (o) => listOllamaModels(http, o?.signal),
    stream(request: StreamRequest, o?: CallOptions): AsyncIterable<TransportEvent> {
      const { path, body } = ollamaStreamRoute(request, settings);
      return new EventStream(
        http,
        {
          method: 'POST',
          path,
          body,
          signal: o?.signal,
          model: request.model,
          ...(request.requestId === undefined ? {} : { headers: { 'x-request-id': request.requestId } }),
        },
        new NdjsonParser(),
        clock,
      );
    },
    describe: (models, o) => describeOllama(http, baseUrl, models, o?.signal),
    runningModels: (o) => loadedOllamaModels(http, o?.signal),
    unload: (model, o) => unloadOllamaModel(http, model, o?.signal, loadTimeoutMs),
    close: () => http.close(),
  };
}
