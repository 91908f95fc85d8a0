/**
 * What the error messages of llama-server, llama-swap and the OpenAI-compatible servers behind this
 * transport mean: the data the shared HTTP client's error mapping reads.
 */
import type { StatusErrorRules } from '../http/map-error.js';

/** Unknown-model messages: llama-swap (new and legacy), vLLM, Ollama; llama.cpp's unknown route is not one. */
export const LLAMA_ERROR_RULES: StatusErrorRules = {
  modelNotFound: /no router|could not find|not found|does not exist|no model id|unknown model|invalid 'model'/i,
  // An unknown route is a missing endpoint, not a missing model: llama.cpp's 404 "File Not Found", Go's
  // "404 page not found" (Ollama: its /tokenize once read as "model not found (the server has: that model)")
  // and FastAPI's bare "Not Found" (vLLM).
  notModelNotFound: /file not found|page not found|^\s*not found\s*$/i,
  // llama-server's 503 while it loads its model: `{"error":{"code":503,"message":"Loading model",...}}`.
  loading: /loading/i,
};
