/**
 * The Transport interface: how the engine talks to a server. One implementation speaks llama-server,
 * llama-swap and OpenAI-compatible servers over undici (`@swapbench/core/transports/llama`); tests use the
 * fake in `@swapbench/core/testing`. Optional methods are optional capabilities: the engine checks for them
 * and records the fallback it used.
 */

/** Options every async transport call takes last. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * What kind of server a transport speaks to: recorded with the run and shown in reports. Open-ended, so a
 * new transport names its own; the engine never branches on it (it asks for capabilities and traits).
 */
export type ServerKind = 'llama-swap' | 'llama-server' | 'openai' | (string & {});

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The prompt of one request: chat messages, or a raw completion prompt. */
export type PromptInput = { endpoint: 'chat'; messages: ChatMessage[] } | { endpoint: 'completion'; prompt: string };

/** One streamed generation request. */
export type StreamRequest = PromptInput & {
  model: string;
  /** Tokens to generate. */
  maxTokens: number;
  /** Sampling parameters sent as-is (temperature, top_p, top_k, seed, ...). */
  sampling: Record<string, unknown>;
  /** Ask the server to ignore end-of-sequence so exactly `maxTokens` come out. */
  ignoreEos: boolean;
  /** Let the server reuse its prompt cache (`cache_prompt`). */
  cachePrompt: boolean;
  /** Sent as the `X-Request-Id` header, so the request can be found in server and proxy logs. */
  requestId?: string;
};

/** A model the server offers. */
export interface ModelInfo {
  id: string;
  /** llama-swap: whether it is loaded now, when the server says. */
  loaded?: boolean;
  /** Whatever else the server returned for this model (`meta`, `aliases`, ...). */
  raw?: unknown;
}

/**
 * An event of one streamed request. `at` is the transport's clock (`performance.now()` unless injected),
 * read when the bytes arrived.
 */
export type TransportEvent =
  | {
      type: 'response-start';
      at: number;
      /** HTTP status (always 2xx here; errors are thrown). */
      status: number;
      /**
       * Clock reading when the request was written on a connection: after waiting for a free one and, for a
       * new connection, opening it. From the call to `stream()` to `sentAt` is connection time, which TTFT
       * includes. Absent when the transport cannot tell.
       */
      sentAt?: number;
      /**
       * Time spent opening a connection for this request, ms, when none was ready for it (part of the time
       * before `sentAt`). Absent when a connection was ready, or the transport cannot tell.
       */
      connectMs?: number;
      /**
       * The request was sent twice: the server closed the reused connection of the first send without a
       * byte of answer, so it never ran it. `sentAt` is the second send's: connection time includes the first.
       */
      resent?: boolean;
    }
  | {
      type: 'delta';
      at: number;
      /** Generated text in this chunk (content, or reasoning content). */
      text: string;
      /** Tokens in this chunk: a chunk may carry several. */
      tokens: number;
      /** `reasoning` for `reasoning_content` deltas. */
      channel: 'content' | 'reasoning';
    }
  | {
      type: 'final';
      at: number;
      finishReason: string | undefined;
      /**
       * The server's own figures for the request, as sent: llama.cpp `{ timings, usage }`, an OpenAI
       * `{ usage }`, a native `/completion` or Ollama final object. `parseLlamaTimings` normalizes any of them.
       */
      raw: Record<string, unknown>;
      /** The server's response id (`chatcmpl-…`), to join with server logs. */
      responseId: string | undefined;
      /** Model name the server answered with. */
      model: string | undefined;
      /** `system_fingerprint`, when the server sends it. */
      systemFingerprint: string | undefined;
    };

/** What a server says about itself, recorded with each run so two runs can be told apart. */
export interface ServerInfo {
  kind: ServerKind;
  baseUrl: string;
  /** The models it could describe (through llama-swap: the loaded ones; asking would load the others). */
  models: ServerModelInfo[];
  /** What the server answered, by route (`/v1/models`, `/running`, ...), for what the fields above leave out. */
  raw: Record<string, unknown>;
}

/** One model as its server describes it: what tells builds, quants and settings apart. */
export interface ServerModelInfo {
  id: string;
  /** Server build (llama.cpp `build_info`). */
  build?: string | undefined;
  /** Context tokens each slot has (llama.cpp `n_ctx` of a slot). */
  contextPerSlot?: number | undefined;
  /** Requests it serves in parallel (llama.cpp `total_slots`). */
  slots?: number | undefined;
  /** Model file or repository (llama.cpp `model_path`). */
  path?: string | undefined;
  /** Name the server gives the model (llama.cpp `model_alias`). */
  alias?: string | undefined;
  chatTemplate?: string | undefined;
  /** The server's own record for this model (llama-server `/props`), as returned. */
  raw?: unknown;
}

/** What `probeActivity` saw: is anybody else using the server right now? */
export interface ActivityProbe {
  busy: boolean;
  /** Human-readable facts behind the answer ("slot 0 is processing"). */
  evidence: string[];
  /** Requests the server is processing now, when it can tell (llama.cpp `/slots` or `/metrics`). */
  inFlight?: number | undefined;
}

/**
 * The server's own Prometheus counters and gauges at one instant (llama-server `--metrics`, vLLM), those
 * that explain a cell's figures. A field the server does not export is absent.
 */
export interface ServerCounters {
  /** Whose metric names were read. */
  source: 'llama.cpp' | 'vllm';
  /** Requests being processed now (`llamacpp:requests_processing`, `vllm:num_requests_running`). */
  requestsProcessing?: number | undefined;
  /** Requests waiting for a slot now (`llamacpp:requests_deferred`, `vllm:num_requests_waiting`). */
  requestsDeferred?: number | undefined;
  /** KV cache in use, 0–1 (`vllm:kv_cache_usage_perc` / `gpu_cache_usage_perc`, `llamacpp:kv_cache_usage_ratio`). */
  kvCacheUsage?: number | undefined;
  /** Prompt tokens evaluated since start (`llamacpp:prompt_tokens_total`, `vllm:prompt_tokens_total`). */
  promptTokensTotal?: number | undefined;
  /** Prompt tokens taken from the cache since start (`llamacpp:prompt_tokens_cached_total`). */
  cachedPromptTokensTotal?: number | undefined;
  /** Tokens generated since start (`llamacpp:tokens_predicted_total`, `vllm:generation_tokens_total`). */
  generatedTokensTotal?: number | undefined;
  /** Decode calls since start (`llamacpp:n_decode_total`): fewer than tokens means batched decoding. */
  decodesTotal?: number | undefined;
}

/**
 * Facts about how a server behaves that the engine adapts to. They are not methods: they change what the
 * engine expects, not what it can ask.
 */
export interface TransportTraits {
  /** It answers any model name with its one model (a single llama-server): a name missing from its list is fine. */
  anyModelName: boolean;
  /** `describe` covers only loaded models (asking would load the others): describe again after a cold start. */
  describesLoadedModelsOnly: boolean;
  /**
   * Every answer reports the prompt tokens the server evaluated (`usage.prompt_tokens`, Ollama
   * `prompt_eval_count`): without a tokenizer, prompts are sized by probing with one-token requests.
   */
  reportsPromptTokens?: boolean | undefined;
  /**
   * False: `cachePrompt: false` is not obeyed (an OpenAI-compatible server, Ollama), so a unique prefix is
   * the only cache buster, and the head of the prompt before it (the chat template's) is reused anyway.
   * The engine measures that shared head and flags `warm-cache` only beyond it.
   */
  obeysCachePrompt?: boolean | undefined;
}

/**
 * The optional methods of a Transport, each one capability. One list, so facades and reports cover them all.
 * The engine checks for the method and records the fallback it took when one is missing.
 */
export const TRANSPORT_CAPABILITIES = [
  'tokenize',
  'applyTemplate',
  'describe',
  'runningModels',
  'unload',
  'probeActivity',
  'serverCounters',
] as const;

/** The name of one optional capability. */
export type TransportCapability = (typeof TRANSPORT_CAPABILITIES)[number];

/** The capabilities a transport has, in the list's order. */
export function capabilitiesOf(transport: Transport): TransportCapability[] {
  return TRANSPORT_CAPABILITIES.filter((name) => typeof transport[name] === 'function');
}

/** How the engine reaches a server. */
export interface Transport {
  /** Recorded with the run; never a reason to branch (see `traits` and the optional methods). */
  readonly kind: ServerKind;
  readonly baseUrl: string;
  readonly traits: TransportTraits;
  /**
   * Requests it can have on the wire at once (its connection pool); more wait inside the client, and that
   * wait would count in their TTFT. Undefined: no limit of its own.
   */
  readonly connections?: number | undefined;
  /**
   * The monotonic clock (ms) its events' `at` are read on. `runBenchSuite` uses it when given no clock of
   * its own, so a clock is passed once.
   */
  readonly clock?: (() => number) | undefined;
  /**
   * Open connections ahead of a load of `count` requests in flight, and keep replacements ready while it
   * runs, so no request of it waits to connect; `reserveConnections(0)` ends the load. Resolves once they
   * are open; a connection that failed to open is not an error here (the request that needs it reports it).
   * The client side only: it asks the server nothing.
   */
  reserveConnections?(count: number, options?: CallOptions): Promise<void>;
  /** Models the server offers. */
  listModels(options?: CallOptions): Promise<ModelInfo[]>;
  /**
   * Send one streaming request. The iterable yields `response-start`, `delta`s, then one `final`, and can be
   * read once. It throws (a SwapbenchError, or the signal's reason) instead of yielding an error, so the
   * consumer keeps what it measured; leaving the loop early cancels the request.
   */
  stream(request: StreamRequest, options?: CallOptions): AsyncIterable<TransportEvent>;
  /** Exact prompt token count as the server will evaluate it (chat template and BOS included). */
  tokenize?(model: string, input: PromptInput, options?: CallOptions): Promise<number>;
  /** The prompt text the server's chat template makes of `messages`. */
  applyTemplate?(model: string, messages: ChatMessage[], options?: CallOptions): Promise<string>;
  /** What the server says about itself and the given models (build, context, slots). */
  describe?(models: string[], options?: CallOptions): Promise<ServerInfo>;
  /** Models loaded right now (llama-swap `/running`). */
  runningModels?(options?: CallOptions): Promise<string[]>;
  /** Unload a model (llama-swap), so the next request measures a cold start. */
  unload?(model: string, options?: CallOptions): Promise<void>;
  /** Whether somebody else is using the server now. */
  probeActivity?(options?: CallOptions): Promise<ActivityProbe>;
  /**
   * The server's Prometheus counters for `model` now (its `/metrics`); undefined when it exports none
   * (llama-server without `--metrics`, a server without the route).
   */
  serverCounters?(model: string, options?: CallOptions): Promise<ServerCounters | undefined>;
  /** Release connections. */
  close(): Promise<void>;
}
