import { llamaTimingsRecord } from '../timings/llama-timings-record.js';
import type {
  ModelInfo,
  PromptInput,
  ServerInfo,
  ServerKind,
  StreamRequest,
  Transport,
  TransportEvent,
  TransportTraits,
} from '../transport/transport.js';
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
  /** llama.cpp `timings` for the final event's `raw`; default: computed from the script, as llama.cpp would. */
  timings?: unknown;
  /** `usage` for the final event's `raw`; left out when not given. */
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
  /** Default `llama-server`. */
  kind?: ServerKind;
  /** Default: `anyModelName` for a `llama-server` kind, `describesLoadedModelsOnly` false. */
  traits?: Partial<TransportTraits>;
  models?: string[];
  /** Provide a tokenizer (one token per whitespace-separated word), or leave it out to test the fallback. */
  tokenizer?: boolean;
  /** Models loaded at start (llama-swap `/running`); omit for a server that cannot tell. */
  running?: string[];
  /**
   * Provide `describe`: a generic ServerInfo of the asked models (with `describesLoadedModelsOnly`, of the
   * loaded ones among them, when the fake knows what is loaded).
   */
  describe?: boolean;
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
      // Chunks are the decode steps: the first one's time is in prompt_ms, the rest span predicted_ms.
      const timings =
        response.timings ??
        llamaTimingsRecord({
          cacheN: cached,
          promptN: prompt - cached,
          promptMs: response.ttftMs,
          predictedN: sent,
          predictedMs: Math.max(0, chunk - 1) * response.interTokenMs,
        });
      yield {
        type: 'final',
        at: clock.now(),
        finishReason: response.finishReason ?? 'length',
        raw: response.usage === undefined ? { timings } : { timings, usage: response.usage },
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

  const kind = options.kind ?? 'llama-server';
  const traits: TransportTraits = {
    // Any other trait given (reportsPromptTokens, obeysCachePrompt, …) as given.
    ...options.traits,
    anyModelName: options.traits?.anyModelName ?? kind === 'llama-server',
    describesLoadedModelsOnly: options.traits?.describesLoadedModelsOnly ?? false,
  };
  const transport: FakeTransport = {
    kind,
    baseUrl: 'fake://server',
    traits,
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
  if (options.describe) {
    transport.describe = async (models): Promise<ServerInfo> => ({
      kind,
      baseUrl: transport.baseUrl,
      models: models.filter((id) => !traits.describesLoadedModelsOnly || !running || running.has(id)).map((id) => ({ id, build: 'fake' })),
      raw: {},
    });
  }
  if (running) {
    transport.runningModels = async () => [...running];
    transport.unload = async (model) => {
      unloads.push(model);
      running.delete(model);
    };
  }
  return transport;
}
