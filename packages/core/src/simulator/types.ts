/** Options and records of the llama-server / llama-swap simulator. */

/** How one simulated model performs. */
export interface SimulatedModel {
  name: string;
  /** Prompt processing speed, tokens/s. */
  promptTps?: number;
  /** Generation speed of one stream, tokens/s (`Infinity`: as fast as the simulator can write). */
  genTps?: number;
  /** Fixed latency before prompt processing, ms. */
  ttftMs?: number;
  /** Relative jitter (0..1) on each token gap. */
  jitter?: number;
  /** Parallel slots (llama-server `-np`); requests beyond them queue. */
  slots?: number;
  /** Load time when llama-swap must start this model, ms. */
  loadMs?: number;
  /** Context per slot (`n_ctx`). */
  ctxSize?: number;
  /** Each extra busy slot slows generation by this fraction, like batched decoding does. */
  batchSlowdown?: number;
}

export type ModelProfile = Required<Omit<SimulatedModel, 'name'>>;

/** The profile of a model whose options leave things out. */
export const DEFAULT_MODEL_PROFILE: ModelProfile = {
  promptTps: 2000,
  genTps: 50,
  ttftMs: 20,
  jitter: 0.05,
  slots: 4,
  loadMs: 500,
  ctxSize: 8192,
  batchSlowdown: 0.1,
};

export type FaultKind = 'http-500' | 'http-503' | 'unknown-model' | 'reset' | 'malformed-chunk' | 'stall' | 'missing-timings' | 'no-done';

/** A fault to inject into generation requests that match it. */
export interface Fault {
  kind: FaultKind;
  /** Chance per matching request (seeded); default 1. */
  probability?: number;
  /** Only requests for this model. */
  model?: string;
  /** Only these generation requests, counted from 1 in arrival order. */
  requests?: number[];
  /** reset / malformed-chunk / stall: after this many tokens (default 1). */
  afterTokens?: number;
  /** stall: pause this long, ms (default 60 000). */
  stallMs?: number;
}

export interface SimulatorOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /** What to imitate; default llama-swap. */
  mode?: 'llama-swap' | 'llama-server';
  /** Models served; default one model `sim-model`. llama-server mode serves the first one. */
  models?: SimulatedModel[];
  /** Seed for jitter, generated text and fault probabilities; default 1. */
  seed?: number;
  faults?: Fault[];
  /** Keep the ground-truth log of every generation request; default true. */
  groundTruth?: boolean;
  /** llama-swap: model loaded at start; default none. */
  initiallyLoaded?: string | null;
}

/** What the simulator did for one generation request, on `process.hrtime.bigint()`. */
export interface GroundTruthRequest {
  /** The response id sent to the client (`chatcmpl-…`). */
  id: string;
  model: string;
  endpoint: string;
  /** When the request body had been received. */
  receivedAt: bigint;
  /** When the response headers were written. */
  headersAt?: bigint;
  /** When each generated token was written (several tokens in one write share a stamp). */
  tokenWrites: bigint[];
  finishedAt?: bigint;
  promptTokens: number;
  cachedTokens: number;
  predictedTokens: number;
  /** Whether this request made llama-swap load its model, and how long that took. */
  swapped: boolean;
  loadMs: number;
  fault?: FaultKind;
}

export interface SimulatorStats {
  /** Generation requests received. */
  requests: number;
  /** Generating now. */
  active: number;
  /** Most ever generating at once. */
  peakActive: number;
  /** Waiting for a slot now. */
  queued: number;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Generation requests, in arrival order (empty when `groundTruth: false`). */
  readonly groundTruth: GroundTruthRequest[];
  stats(): SimulatorStats;
  /** Models loaded now (llama-swap: at most one). */
  loadedModels(): string[];
  /** Replace the fault list. */
  setFaults(faults: Fault[]): void;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}
