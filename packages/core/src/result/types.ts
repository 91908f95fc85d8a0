import type { ServerInfo, TransportCapability } from '../transport/transport.js';
import type { NormalizedTimings } from '../timings/parse-llama-timings.js';
import type { Suite } from '../suite/schema.js';
import type { SampleErrorCode } from '../errors/codes.js';

/** Where a cell sits in the grid. */
export interface CellKey {
  model: string;
  promptTokens: number;
  maxTokens: number;
  concurrency: number;
}

/** Why a sample's figures deserve a second look. */
export type SampleFlag =
  /** `cache_n > 0` while the suite asked to bust the cache: prompt speed is flattered. */
  | 'warm-cache'
  /** The server generated a different number of tokens than asked, despite `ignoreEos`. */
  | 'length-mismatch'
  /** The server evaluated a different prompt size than asked. */
  | 'prompt-size-mismatch';

/** One request, measured. Stored as it completes. */
export interface Sample extends CellKey {
  runId: string;
  /** Order of completion within the run, from 0. */
  seq: number;
  /**
   * `measured` samples make the aggregates. `warmup` ones (the model's first requests) and `swap` ones
   * (the cold/warm pairs that measure swap time) are stored flagged and left out.
   */
  phase: 'warmup' | 'swap' | 'measured';
  /** Wall-clock start, ISO 8601 (for joining with server logs; durations use the monotonic clock). */
  startedAt: string;
  ok: boolean;
  /** Why a failed sample failed: its stable code, the server's own words, the HTTP status if any. */
  error?: SampleError | undefined;
  /**
   * Time from the start of the request to it being written on a connection: waiting for a free connection
   * and, for a new one, opening it (TTFT includes it). Absent when the transport cannot tell.
   */
  sendMs?: number | undefined;
  /** Sent a second time: the server closed a reused connection without answering, so it never ran the first. */
  resent?: boolean | undefined;
  /** Time to response headers. */
  ttfbMs?: number | undefined;
  /** Time to the first non-empty content (or reasoning) delta. */
  ttftMs?: number | undefined;
  /** Time to the end of the stream. */
  e2eMs?: number | undefined;
  /** Output tokens counted by the client (a chunk with several tokens counts as several). */
  outputTokens: number;
  /** Gaps between consecutive token arrivals, ms; a chunk of k tokens adds k−1 zero gaps. */
  itlMs: number[];
  /** Time per output token: (e2e − ttft) / (tokens − 1). */
  tpotMs?: number | undefined;
  /** Client output speed: (tokens − 1) / (e2e − ttft) × 1000. */
  genTps?: number | undefined;
  /** Prompt tokens asked for, and what the server reports it evaluated (prompt_n + cache_n). */
  promptTokensActual?: number | undefined;
  /** Server-side figures, normalized. */
  server: NormalizedTimings;
  finishReason?: string | undefined;
  /** The server's response id, to join with its logs. */
  responseId?: string | undefined;
  /** The first request to a model that was not loaded: its TTFT includes the load. */
  coldStart?: boolean | undefined;
  flags: SampleFlag[];
}

/** Why one request failed. */
export interface SampleError {
  /** Stable code: `HOST_UNREACHABLE`, `HTTP_STATUS`, `REQUEST_TIMEOUT`, ... */
  code: SampleErrorCode;
  /** What went wrong, with the server's own message when it sent one (at most ~1,000 characters). */
  message: string;
  /** The HTTP status, when the server answered with an error status. */
  status?: number | undefined;
}

/** One distinct error of a run: how often it happened, and in which cells. */
export interface ErrorSummary extends SampleError {
  /** Failed requests with this code, status and message (warmups, cold starts and swaps included). */
  count: number;
  /** The cells whose requests failed this way, in the order they first did. */
  cells: CellKey[];
}

/** Distribution of one metric. Fields are null when there was nothing to measure. */
export interface Stats {
  mean: number | null;
  stddev: number | null;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Aggregates of one cell's measured samples. */
export interface CellResult extends CellKey {
  /** Measured requests, failed ones included. */
  n: number;
  /** Requests the cell was to measure (repetitions × concurrency). */
  planned: number;
  /** Requests sent twice because the server closed a reused connection before answering (see Sample.resent). */
  resent: number;
  /** The cell was cut short (the run was cancelled or stopped): fewer requests completed than planned. */
  partial: boolean;
  /** Failed requests. */
  errors: number;
  /** Error codes and how often each occurred. */
  errorCodes: Partial<Record<SampleErrorCode, number>>;
  ttftMs: Stats;
  e2eMs: Stats;
  /** Every inter-token gap of every request, pooled. */
  itlMs: Stats;
  /** Per-request time per output token. */
  tpotMs: Stats;
  /** Per-request client output speed, tokens/s. */
  genTps: Stats;
  /** Server-reported generation speed, tokens/s. */
  serverGenTps: Stats;
  /** Server-reported prompt processing speed, tokens/s. */
  serverPromptTps: Stats;
  /** Output tokens of the whole cell divided by its wall time, tokens/s. */
  throughputTps: number | null;
  /** The cell's wall time, ms. */
  wallMs: number;
  /** How many samples carried each flag. */
  flags: Partial<Record<SampleFlag, number>>;
}

/** Swap (unload + reload) times of one model, llama-swap only. */
export interface SwapResult {
  model: string;
  /** Each measured swap, ms: from the request after an unload to its first token, minus a warm TTFT. */
  swapMs: number[];
  stats: Stats;
}

/** Whether a model was loaded before its first request, and that request's TTFT. */
export interface ColdStart {
  model: string;
  /** From llama-swap `/running`; undefined when the server cannot tell. */
  loadedBefore: boolean | undefined;
  /** TTFT of the first request when the model was not loaded. */
  coldStartMs?: number | undefined;
}

/** How the client side ran: versions, and whether it kept up. */
export interface ClientInfo {
  swapbenchVersion: string;
  node: string;
  platform: string;
  arch: string;
  cpus: string;
  cpuCount: number;
}

/** The environment a run measured, both sides. */
export interface RunEnvironment {
  client: ClientInfo;
  server?: ServerInfo | undefined;
  /** What the transport could do (tokenize, unload, ...): a missing one explains a fallback in the notes. */
  capabilities?: TransportCapability[] | undefined;
}

/** Event-loop delay seen by the client during the run. */
export interface ClientHealth {
  /** True when the client's own event loop was slow enough to distort timings. */
  clientSaturated: boolean;
  eventLoopDelayP99Ms: number | null;
  eventLoopDelayMaxMs: number | null;
}

/** How each model's prompts were sized. */
export interface PromptCalibration {
  model: string;
  /** `tokenizer`: measured against the server's tokenizer; `estimate`: it could not be asked. */
  method: 'tokenizer' | 'estimate';
  note?: string | undefined;
}

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** A whole run: what `runBenchSuite` returns, what `--json` prints. */
export interface RunResult {
  runId: string;
  status: RunStatus;
  suite: Suite;
  /** ISO 8601 wall-clock times. */
  startedAt: string;
  finishedAt: string | null;
  /** Monotonic duration of the run, ms. */
  durationMs: number | null;
  cells: CellResult[];
  coldStarts: ColdStart[];
  swaps: SwapResult[];
  calibration: PromptCalibration[];
  environment: RunEnvironment;
  client: ClientHealth;
  /** Every distinct error of the run, once each, with its count and cells (empty when nothing failed). */
  errors: ErrorSummary[];
  /** Things the reader should know: fallbacks taken, flags raised, why the run stopped. */
  notes: string[];
  /** Set when the run stopped on an error it could not record as a sample. */
  error?: { code: SampleErrorCode; message: string } | undefined;
}
