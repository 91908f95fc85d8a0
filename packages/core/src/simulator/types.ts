/** Options and records of the llama-server / llama-swap simulator. */
import type { ForeignTraffic } from './foreign-traffic.js';

export type { ForeignTraffic } from './foreign-traffic.js';

/** How one simulated model performs. */
export interface SimulatedModel {
  name: string;
  /** Prompt processing speed, tokens/s (default 2000). */
  promptTps?: number;
  /** Generation speed of one stream, tokens/s (default 50; `Infinity`: as fast as the simulator can write). */
  genTps?: number;
  /** Fixed cost of the first decode, ms (default 20). Counted in `prompt_ms`, as llama-server counts its per-batch overhead. */
  ttftMs?: number;
  /** Relative jitter (0..1) on each token gap and on prompt processing (default 0.05). */
  jitter?: number;
  /** Parallel slots (llama-server `-np`, default 4); requests beyond them queue FIFO. */
  slots?: number;
  /** Load time when llama-swap must start this model, ms (default 500). */
  loadMs?: number;
  /** Context per slot (`n_ctx`, default 8192). A prompt of n_ctx tokens or more is refused with 400. */
  ctxSize?: number;
  /** Each extra busy slot slows generation by this fraction, as batched decoding does (default 0.1). */
  batchSlowdown?: number;
}

export type ModelProfile = Required<Omit<SimulatedModel, 'name'>>;

/** The profile of a model whose options leave things out. */
export const DEFAULT_MODEL_PROFILE: ModelProfile = Object.freeze({
  promptTps: 2000,
  genTps: 50,
  ttftMs: 20,
  jitter: 0.05,
  slots: 4,
  loadMs: 500,
  ctxSize: 8192,
  batchSlowdown: 0.1,
});

/**
 * What goes wrong. Mid-stream: `reset`, `malformed-chunk`, `stall`, `missing-timings`, `no-done`. Instead of
 * the answer, before any byte of it (these can also hit any route, see `Fault.paths`):
 * - `http-500`, `http-503`: llama-server's error bodies (503: "Loading model");
 * - `unknown-model`: the 404 of llama-swap (or llama-server) for a model it does not know (generation only);
 * - `accept-and-never-answer`: the request is read and never answered; the connection stays open until the
 *   client leaves (a hung server, or a proxy that lost its upstream);
 * - `reset-before-headers`: the request is read, then the connection reset (RST), no byte written;
 * - `eof-before-headers`: the request is read, then the connection closed cleanly (FIN), no byte written;
 * - `huge-error-body`: a 500 whose JSON body (llama.cpp's error, message first) is padded to `bodyBytes`,
 *   written as fast as the client reads it.
 */
export type FaultKind =
  | 'http-500'
  | 'http-503'
  | 'unknown-model'
  | 'reset'
  | 'malformed-chunk'
  | 'stall'
  | 'missing-timings'
  | 'no-done'
  | 'accept-and-never-answer'
  | 'reset-before-headers'
  | 'eof-before-headers'
  | 'huge-error-body';

/** A fault to inject into the requests that match it. The first matching fault of the list applies. */
export interface Fault {
  kind: FaultKind;
  /** Chance per matching request, drawn from the seed and the request ordinal; default 1. */
  probability?: number;
  /** Only requests for this model (generation requests; not with `paths`). */
  model?: string;
  /**
   * Only these requests, counted from 1 in arrival order: generation requests, or with `paths` the requests
   * to those paths (each fault counts its own).
   */
  requests?: number[];
  /**
   * Any request to these paths, as the client sends them (`/tokenize`, `/props`, `/running`,
   * `/upstream/<model>/tokenize`), not only generation requests: for the faults that act before the
   * answer (`http-500`, `http-503`, `accept-and-never-answer`, `reset-before-headers`, `eof-before-headers`,
   * `huge-error-body`). Such a fault is applied before routing, so it is not in the ground truth. Without
   * `paths`, a fault hits generation requests only.
   */
  paths?: string[];
  /** huge-error-body: the body's size in bytes (default 50 MiB). */
  bodyBytes?: number;
  /** reset / malformed-chunk / stall: after this many tokens were written (default 1; 0 = before the first). */
  afterTokens?: number;
  /** stall: pause this long, ms (default 60 000). A client that leaves ends the stall. */
  stallMs?: number;
}

export interface SimulatorOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /**
   * What to imitate; default llama-swap. `ollama`: Ollama's native API (`/api/chat`, `/api/generate` as
   * NDJSON, `/api/tags`, `/api/ps`, `/api/version`, unloading with `keep_alive: 0`) plus its `/v1` routes,
   * loading models on demand one at a time, as llama-swap does.
   */
  mode?: 'llama-swap' | 'llama-server' | 'ollama';
  /** Models served; default one model `sim-model`. llama-server mode serves the first one. */
  models?: SimulatedModel[];
  /** Seed for jitter, generated text and fault probabilities; default 1. */
  seed?: number;
  faults?: Fault[];
  /** Keep the ground-truth log of every generation request; default true. */
  groundTruth?: boolean;
  /** llama-swap: model loaded at start; default none. llama-server mode: its model is always loaded. */
  initiallyLoaded?: string | null;
  /**
   * llama-server mode: close the TCP connection right after each streamed answer, as llama-server b10470
   * does although its headers offer `Keep-Alive: timeout=5, max=100`. A keep-alive client that sends its next
   * request on that connection at once loses it ("other side closed"; the simulator never reads it, as the
   * real server never does). The simulator closes about 1 ms after the last byte (the real server 0.05–0.3
   * ms). Non-streamed answers keep the connection either way. Default true; `false` keeps every connection
   * open. llama-swap mode ignores it: Go's net/http in front keeps client connections open.
   */
  closeAfterStream?: boolean;
  /**
   * Foreign requests held from the start: somebody else's requests occupying slots (seen in `/slots` and
   * `/metrics`). Change them later with `setForeignTraffic` or `POST /sim/foreign`.
   */
  foreignTraffic?: ForeignTraffic;
}

/** What the simulator did for one generation request, on `process.hrtime.bigint()`. */
export interface GroundTruthRequest {
  /** The response id sent to the client (`chatcmpl-…`). */
  id: string;
  model: string;
  /** The llama-server path that served it, e.g. `/v1/chat/completions`. */
  endpoint: string;
  /**
   * When the request's headers had been parsed (the server's `'request'` event), before its body was read:
   * when the request reached the server, for measuring how long a client took to get it there.
   */
  arrivedAt: bigint;
  /** When the request body had been received (before any llama-swap load or slot wait). */
  receivedAt: bigint;
  /** The request's `X-Request-Id` header, when it had one. */
  requestId?: string;
  /** When the response headers were written. */
  headersAt?: bigint;
  /**
   * When each generated token was written to the socket. A non-streamed body stamps all its tokens with the
   * body's write; an end-of-generation token (natural stop) is counted in `predictedTokens` but never written.
   */
  tokenWrites: bigint[];
  /** When the response ended (or the stream was cut by a fault or the client). */
  finishedAt?: bigint;
  /** Prompt tokens, cached included (`usage.prompt_tokens`). */
  promptTokens: number;
  cachedTokens: number;
  predictedTokens: number;
  /** Whether this request made llama-swap load its model. */
  swapped: boolean;
  /** How long this request waited in llama-swap for a model load (its own or one it joined), ms; 0 if none. */
  loadMs: number;
  fault?: FaultKind;
}

export interface SimulatorStats {
  /** Generation requests received. */
  requests: number;
  /** Generating (slots busy) now, all models. */
  active: number;
  /** Most ever generating at once. */
  peakActive: number;
  /** Waiting now: for a slot, or in llama-swap for a model load. */
  queued: number;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Generation requests, in arrival order (stays empty with `groundTruth: false`). A live array: it may be cleared. */
  readonly groundTruth: GroundTruthRequest[];
  stats(): SimulatorStats;
  /** Models loaded now (llama-swap: at most one). */
  loadedModels(): string[];
  /** Hold this many foreign requests in slots (0 stops them); the model defaults to the loaded one. */
  setForeignTraffic(traffic: ForeignTraffic): void;
  /** Replace the fault list. */
  setFaults(faults: Fault[]): void;
  /** Stop listening, end every stream and timer, drop open connections. */
  close(): Promise<void>;
}
