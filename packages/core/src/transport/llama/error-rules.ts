/**
 * What the error messages of llama-server, llama-swap and the OpenAI-compatible servers behind this
 * transport mean: the data the shared HTTP client's error mapping reads.
 */
import type { StatusErrorRules } from '../http/map-error.js';

/**
 * An unknown route, a missing endpoint rather than a missing model: llama.cpp's 404 "File Not Found", Go's
 * "404 page not found" (llama-swap; Ollama: its /tokenize once read as "model not found (the server has:
 * that model)") and FastAPI's bare "Not Found" (vLLM).
 */
export const UNKNOWN_ROUTE = /file not found|page not found|^\s*not found\s*$/i;

/** Unknown-model messages: llama-swap (new and legacy), vLLM, Ollama; llama.cpp's unknown route is not one. */
export const LLAMA_ERROR_RULES: StatusErrorRules = {
  modelNotFound: /no router|could not find|not found|does not exist|no model id|unknown model|invalid 'model'/i,
  notModelNotFound: UNKNOWN_ROUTE,
  // llama-server's 503 while it loads its model: `{"error":{"code":503,"message":"Loading model",...}}`.
  loading: /loading/i,
};
