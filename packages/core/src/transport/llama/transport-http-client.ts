// Its own module, not in transport-options.ts: the root entry imports the option checks, and must not load
// undici (this imports the HTTP client).
import { HttpClient, type HttpClientOptions } from '../http/http-client.js';
import { LLAMA_ERROR_RULES } from './error-rules.js';
import type { LlamaTransportOptions } from './transport-options.js';
import { wrongKindHint } from './wrong-kind.js';

/**
 * The HTTP client of a transport on these options, with llama.cpp's error rules; `availableModels` says how
 * this kind of server lists its models (for "model not found, the server has …"). With a `kind` given (not
 * detected), a 404 on that kind's own routes says the server may be another kind.
 */
export function transportHttpClient(options: LlamaTransportOptions, availableModels: HttpClientOptions['availableModels']): HttpClient {
  return new HttpClient({
    baseUrl: options.baseUrl,
    connections: options.connections,
    clock: options.clock,
    apiKey: options.apiKey,
    headers: options.headers,
    connectTimeoutMs: options.connectTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    callTimeoutMs: options.callTimeoutMs,
    dispatcher: options.dispatcher,
    errorRules:
      options.kind === undefined || options.kind === 'auto'
        ? LLAMA_ERROR_RULES
        : { ...LLAMA_ERROR_RULES, routeHint: wrongKindHint(options.kind) },
    availableModels,
  });
}
