/**
 * vLLM's tokenizer route (`POST /tokenize`, vllm/entrypoints/openai serving_tokenization): a chat request
 * `{ model, messages }` goes through the chat template with the generation prompt added (its defaults:
 * `add_generation_prompt: true`, `add_special_tokens: false`), a completion one `{ model, prompt }` gets
 * BOS (`add_special_tokens: true`); the answer is `{ count, max_model_len, tokens }`. The counts match what
 * the server evaluates for the same chat or completion request.
 */
import { UnsupportedError } from '../../errors/errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { PromptInput } from '../transport.js';

/** Prompt tokens as vLLM counts them. UnsupportedError when the answer is not vLLM's (no `count`). */
export async function vllmTokenize(http: HttpClient, model: string, input: PromptInput, signal: AbortSignal | undefined): Promise<number> {
  const body = input.endpoint === 'chat' ? { model, messages: input.messages } : { model, prompt: input.prompt };
  const json = await http.json<{ count?: unknown; tokens?: unknown }>({ method: 'POST', path: '/tokenize', body, signal, model });
  // llama-server answers this body with `{ tokens: [] }` (it reads `content`): only vLLM's `count` counts.
  if (typeof json?.count !== 'number') throw new UnsupportedError(`${http.url('/tokenize')} is not vLLM's tokenizer (no count)`);
  return json.count;
}
