import type { ModelInfo, PromptInput, ServerKind, StreamRequest, Transport, TransportEvent } from '../transport/transport.js';
import type { VirtualClock } from './virtual-clock.js';

/** How the fake server answers one request. Times are virtual ms from the request's start. */
export interface FakeResponse {
  /** Time to response headers. Default: same as `ttftMs`. */
  ttfbMs?: number;
  /** Time to the first token. */
  ttftMs: number;
  /** Gap between token chunks. */
  interTokenMs: number;
  /** Tokens to produce; default: the request's maxTokens. */
  tokens?: number;
  /** Tokens per chunk (a chunk may carry several). Default 1. */
  tokensPerChunk?: number;
  /** Raw llama.cpp timings for the final event; default: computed from the script. */
  timings?: unknown;
  usage?: unknown;
  finishReason?: string;
  /** Throw this error instead of responding... */
  error?: Error;
  /** ...after this many tokens (default 0: before the response starts). */
  errorAfterTokens?: number;
  /** Prompt tokens the fake server reports evaluating; default: the request's prompt token count via `tokenize`. */
  promptTokens?: number;
  /** Prompt tokens it reports as cached. */
  cachedTokens?: number;
}

/** A request the fake received, with virtual start and end times. */
export interface FakeCall {
  index: number;
  request: StreamRequest;
  startedAt: number;
  endedAt?: number;
  aborted?: boolean;
}

export interface FakeTransportOptions {
  clock: VirtualClock;
  /** Decides each response; `index` counts stream calls from 0. */
  script: (request: StreamRequest, index: number) => FakeResponse;
  kind?: ServerKind;
  models?: string[];
  /** Provide a tokenizer (one token per whitespace-separated word), or leave it out to test the fallback. */
  tokenizer?: boolean;
  /** Models loaded at start (llama-swap `/running`); omit for a server that cannot tell. */
  running?: string[];
}

export interface FakeTransport extends Transport {
  readonly calls: FakeCall[];
  /** Requests in flight now, and the most ever at once. */
  readonly active: number;
  readonly peakActive: number;
  readonly unloads: string[];
}

/** Count tokens the fake way: one per whitespace-separated word. */
export function fakeTokenCount(input: PromptInput): number {
  const text = input.endpoint === 'chat' ? input.messages.map((m) => m.content).join(' ') : input.prompt;
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * A Transport that answers from a script on a virtual clock, records every call, and tracks how many
 * requests are in flight. Behaviour it was not given (e.g. `tokenize` without `tokenizer: true`) is absent,
 * so the engine's fallbacks are exercised.
 */
export function createFakeTransport(options: FakeTransportOptions): FakeTransport {
  const { clock, script } = options;
  const calls: FakeCall[] = [];
  const unloads: string[] = [];
  const running = options.running ? new Set(options.running) : undefined;
  let active = 0;
  let peakActive = 0;
  let index = 0;

  async function* stream(request: StreamRequest, opts?: { signal?: AbortSignal }): AsyncGenerator<TransportEvent> {
    const signal = opts?.signal;
    const call: FakeCall = { index: index++, request, startedAt: clock.now() };
    calls.push(call);
    const response = script(request, call.index);
    const t0 = call.startedAt;
    active++;
    peakActive = Math.max(peakActive, active);
    running?.add(request.model);
    const waitUntil = (t: number) => clock.sleep(Math.max(0, t0 + t - clock.now()), signal);
    try {
      if (signal?.aborted) throw signal.reason;
      const total = response.tokens ?? request.maxTokens;
      const perChunk = Math.max(1, response.tokensPerChunk ?? 1);
      const errorAt = response.error ? (response.errorAfterTokens ?? 0) : Infinity;
      if (errorAt === 0) {
        await waitUntil(response.ttfbMs ?? response.ttftMs);
        throw response.error;
      }
      await waitUntil(response.ttfbMs ?? response.ttftMs);
      yield { type: 'response-start', at: clock.now(), status: 200 };
      let sent = 0;
      let chunk = 0;
      while (sent < total) {
        await waitUntil(response.ttftMs + chunk * response.interTokenMs);
        const k = Math.min(perChunk, total - sent);
        sent += k;
        chunk++;
        yield { type: 'delta', at: clock.now(), text: ' tok'.repeat(k), tokens: k, channel: 'content' };
        if (sent >= errorAt) throw response.error;
      }
      const prompt = response.promptTokens ?? fakeTokenCount(request);
      const cached = response.cachedTokens ?? 0;
      const genMs = Math.max(0, chunk - 1) * response.interTokenMs;
      yield {
        type: 'final',
        at: clock.now(),
        finishReason: response.finishReason ?? 'length',
        timings: response.timings ?? {
          cache_n: cached,
          prompt_n: prompt - cached,
          prompt_ms: response.ttftMs,
          predicted_n: sent,
          predicted_ms: genMs,
          // As llama.cpp counts: the first token's time is in prompt_ms, so N tokens span N − 1 intervals.
          predicted_per_second: genMs > 0 && sent > 1 ? ((sent - 1) * 1000) / genMs : null,
          prompt_per_second: response.ttftMs > 0 ? ((prompt - cached) * 1000) / response.ttftMs : null,
        },
        usage: response.usage,
        responseId: `fake-${call.index}`,
        model: request.model,
        systemFingerprint: 'fake',
      };
    } catch (err) {
      if (signal?.aborted) call.aborted = true;
      throw err;
    } finally {
      active--;
      call.endedAt = clock.now();
    }
  }

  const transport: FakeTransport = {
    kind: options.kind ?? 'llama-server',
    baseUrl: 'fake://server',
    calls,
    unloads,
    get active() {
      return active;
    },
    get peakActive() {
      return peakActive;
    },
    async listModels(): Promise<ModelInfo[]> {
      return (options.models ?? ['fake-model']).map((id) => ({ id, loaded: running?.has(id) }));
    },
    stream,
    async close() {},
  };
  if (options.tokenizer) transport.tokenize = async (_model, input) => fakeTokenCount(input);
  if (running) {
    transport.runningModels = async () => [...running];
    transport.unload = async (model) => {
      unloads.push(model);
      running.delete(model);
    };
  }
  return transport;
}
