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

/** What kind of server a transport speaks to. */
export type ServerKind = 'llama-swap' | 'llama-server' | 'openai';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The prompt of one request: chat messages, or a raw completion prompt. */
export type PromptInput =
  | { endpoint: 'chat'; messages: ChatMessage[] }
  | { endpoint: 'completion'; prompt: string };

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
      /** llama.cpp `timings`, as sent. */
      timings: unknown;
      /** OpenAI `usage`, as sent. */
      usage: unknown;
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
  /** llama-server `/props` (through llama-swap: `/upstream/<model>/props`), per model. */
  props?: Record<string, ServerProps>;
  /** `/v1/models` as returned. */
  models?: unknown;
  /** llama-swap `/running` as returned. */
  running?: unknown;
}

/** The parts of llama-server's `/props` that tell builds and settings apart. */
export interface ServerProps {
  buildInfo?: string;
  modelPath?: string;
  modelAlias?: string;
  nCtx?: number;
  totalSlots?: number;
  chatTemplate?: string;
}

/** What `probeActivity` saw: is anybody else using the server right now? */
export interface ActivityProbe {
  busy: boolean;
  /** Human-readable facts behind the answer ("slot 0 is processing"). */
  evidence: string[];
}

/** How the engine reaches a server. */
export interface Transport {
  readonly kind: ServerKind;
  readonly baseUrl: string;
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
  /** Unload a model (llama-swap), so the next request measures a cold start. */
  unload?(model: string, options?: CallOptions): Promise<void>;
  /** Models loaded right now (llama-swap `/running`). */
  runningModels?(options?: CallOptions): Promise<string[]>;
  /** Whether somebody else is using the server now. */
  probeActivity?(options?: CallOptions): Promise<ActivityProbe>;
  /** What the server says about itself (build, model, context, slots). */
  describe?(models: string[], options?: CallOptions): Promise<ServerInfo>;
  /** Release connections. */
  close(): Promise<void>;
}
