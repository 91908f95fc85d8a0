/**
 * llama-server's chat template and tokenizer (`/apply-template`, `/tokenize`; through llama-swap under
 * `/upstream/<model>`): the prompt text and the exact token count the server will evaluate.
 */
import { UnsupportedError } from '../../errors/errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { ChatMessage, PromptInput } from '../transport.js';
import { modelBody, upstreamPath, type LlamaServerKind } from './routes.js';

/** The prompt text the server's chat template makes of `messages`; `timeoutMs` replaces the call's deadline. */
export async function applyTemplate(
  http: HttpClient,
  kind: LlamaServerKind,
  model: string,
  messages: ChatMessage[],
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): Promise<string> {
  // A router takes the model in the body; its path stays plain.
  const path = kind === 'llama-router' ? '/apply-template' : upstreamPath(kind, model, '/apply-template');
  const body = modelBody(kind, model, { messages });
  const json = await http.json<{ prompt?: unknown }>({ method: 'POST', path, body, signal, model, timeoutMs });
  if (typeof json.prompt !== 'string') throw new UnsupportedError(`${http.url(path)} returned no prompt`);
  return json.prompt;
}

/**
 * Prompt tokens as the server counts them: chat through its template, special tokens (BOS) included.
 * `timeoutMs` replaces the deadline of each call.
 */
export async function tokenize(
  http: HttpClient,
  kind: LlamaServerKind,
  model: string,
  input: PromptInput,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): Promise<number> {
  const content = input.endpoint === 'chat' ? await applyTemplate(http, kind, model, input.messages, signal, timeoutMs) : input.prompt;
  const path = kind === 'llama-router' ? '/tokenize' : upstreamPath(kind, model, '/tokenize');
  // add_special is on for chat too: llama.cpp strips the template's leading BOS text when the vocab adds
  // BOS (common/chat.cpp), then tokenizes the chat prompt with add_special and parse_special on.
  const json = await http.json<{ tokens?: unknown[] }>({
    method: 'POST',
    path,
    body: modelBody(kind, model, { content, add_special: true, parse_special: true }),
    signal,
    model,
    timeoutMs,
  });
  if (!Array.isArray(json.tokens)) throw new UnsupportedError(`${http.url(path)} returned no tokens`);
  return json.tokens.length;
}
