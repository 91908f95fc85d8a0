/** Shared helpers of the transport tests: the recorded fixtures, stream requests, and closing what a test opened. */
import { readFile } from 'node:fs/promises';
import { afterEach } from 'vitest';
import type { StreamRequest } from '../../src/transport/transport.js';

/** The folder of what was recorded from a real llama-server. */
export const FIXTURES = new URL('../fixtures/llama-server/', import.meta.url);

/** A recorded file's bytes. */
export const fixture = (name: string): Promise<Buffer> => readFile(new URL(name, FIXTURES));

/** A recorded file's text. */
export const fixtureText = async (name: string): Promise<string> => (await fixture(name)).toString();

type ChatRequest = Extract<StreamRequest, { endpoint: 'chat' }>;
type CompletionRequest = Extract<StreamRequest, { endpoint: 'completion' }>;

/** What the request builders send unless told otherwise (a fresh object each time: a test may change it). */
const settings = () => ({ model: 'm', maxTokens: 8, sampling: {}, ignoreEos: true, cachePrompt: false });

/** A streamed chat request, one user message "hi", to model `m` for 8 tokens (EOS ignored, no prompt cache); `overrides` win. */
export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { endpoint: 'chat', messages: [{ role: 'user', content: 'hi' }], ...settings(), ...overrides };
}

/** A streamed completion request of "Once upon a time", with the settings of `chatRequest`; `overrides` win. */
export function completionRequest(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return { endpoint: 'completion', prompt: 'Once upon a time', ...settings(), ...overrides };
}

/** An SSE body: each piece of `data` as one event. */
export const sse = (...data: string[]) => data.map((d) => `data: ${d}\n\n`).join('');

/** One OpenAI-style chat chunk (id `chatcmpl-x`, model `m`) of `delta`, finishing with `finish`; `extra` adds fields. */
export const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  JSON.stringify({
    id: 'chatcmpl-x',
    object: 'chat.completion.chunk',
    model: 'm',
    choices: [{ index: 0, finish_reason: finish, delta }],
    ...extra,
  });

/** A server, simulator or transport: whatever a test opens and must close. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Close, after each test, what it opened: call at the top of a test file, and pass each server, simulator
 * and transport the test opens to the function returned, which gives it back. The last opened closes first,
 * so a transport closes before the server it talks to. Closing again what a test closed itself is harmless.
 */
export function closeAfterEach(): <T extends Closable>(opened: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const opened of open.splice(0).reverse()) await opened.close();
  });
  return (opened) => {
    open.push(opened);
    return opened;
  };
}
