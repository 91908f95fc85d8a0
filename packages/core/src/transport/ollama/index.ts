/** `@swapbench/core/transports/ollama`: the undici transport for Ollama's native API. */
export { createOllamaTransport, type OllamaTransportOptions } from './ollama-transport.js';
