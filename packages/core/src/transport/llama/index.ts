/**
 * `@swapbench/core/transports/llama`: the undici transport for llama-server, llama-swap and
 * OpenAI-compatible servers.
 */
export { createLlamaTransport, connectLlamaTransport, type LlamaTransportOptions } from './llama-transport.js';
export type { LlamaServerKind } from './routes.js';
