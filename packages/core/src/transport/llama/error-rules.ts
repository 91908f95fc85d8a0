/**
 * What the error messages of llama-server, llama-swap and the OpenAI-compatible servers behind this
 * transport mean: the data the shared HTTP client's error mapping reads.
 */
import type { StatusErrorRules } from '../http/map-error.js';

/** Unknown-model messages: llama-swap (new and legacy), vLLM, Ollama; llama.cpp's unknown route is not one. */
export const LLAMA_ERROR_RULES: StatusErrorRules = {
  modelNotFound: /no router|could not find|not found|does not exist|no model id|unknown model|invalid 'model'/i,
  // llama.cpp answers an unknown route with a 404 "File Not Found": a missing endpoint, not a missing model.
  notModelNotFound: /file not found/i,
  // llama-server's 503 while it loads its model: `{"error":{"code":503,"message":"Loading model",...}}`.
  loading: /loading/i,
};
