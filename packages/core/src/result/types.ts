import type { ServerCounters, ServerInfo, TransportCapability } from '../transport/transport.js';
import type { Suite } from '../suite/schema.js';
import type { SampleErrorCode } from '../errors/codes.js';
import type { Goodput, OpenLoopFigures, SweepSummary } from './load-types.js';

export type { Goodput, OpenLoopFigures, SweepStep, SweepSummary } from './load-types.js';
export type { Sample, SampleError, SampleFlag, SampleTimeline } from './sample-types.js';
import type { SampleError, SampleFlag } from './sample-types.js';

/** Where a cell sits in the grid. */
export interface CellKey {
  model: string;
  promptTokens: number;
  maxTokens: number;
  concurrency: number;
  /** Open-loop cells: the offered rate, requests/s (`concurrency` is then the in-flight cap). */
  rate?: number | undefined;
}

/** One distinct error of a run: how often it happened, and in which cells. */
export interface ErrorSummary extends SampleError {
  /** Failed requests with this code, status and message (warmups, cold starts and swaps included). */
  count: number;
  /** The cells whose measured requests failed this way, in the order they first did. */
  cells: CellKey[];
  /**
   * Models whose requests before their cells (cold start, swaps, warmup) failed this way: those run at one
   * stream on the first cell's sizes, a cell the grid may not have. Absent when none did.
   */
  beforeCells?: string[];
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
  /** Requests the cell was to measure (the suite's `requests`, or repetitions × concurrency). */
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
  /** Whether the client kept up during this cell. */
  client: CellClientHealth;
  /**
   * Requests in flight on the host that were not ours, sampled during the cell; null when the host could not
   * tell (no `probeActivity`, or no probe answered). Absent in runs stored before it existed.
   */
  concurrentForeignRequests?: ForeignRequests | null | undefined;
  /** Foreign requests were seen during the cell: its figures include somebody else's load. */
  polluted?: boolean | undefined;
  /** Open-loop cells: how the schedule was kept, and latencies from when requests were due. */
  load?: OpenLoopFigures | undefined;
  /** With SLOs in the suite: requests meeting them, and goodput. */
  goodput?: Goodput | undefined;
  /**
   * The server's own Prometheus counters around the cell (`/metrics`: llama-server `--metrics`, vLLM); absent
   * when it exports none.
   */
  serverCounters?: CellServerCounters | undefined;
}

/** A server's counters before and after a cell, and its gauges at their highest while the cell ran. */
export interface CellServerCounters {
  before: ServerCounters;
  after: ServerCounters;
  /**
   * Most requests the server held waiting for a slot at once, sampled during the cell: above 0, fewer ran at
   * once than the cell's concurrency claims (its TTFTs include that wait). Null when the server has no gauge.
   */
  peakRequestsDeferred: number | null;
  /** Most requests the server was processing at once, sampled during the cell; null when unknown. */
  peakRequestsProcessing: number | null;
  /** Prompt tokens the server evaluated during the cell (the counters' difference); null when unknown. */
  promptTokens: number | null;
  /** Tokens the server generated during the cell; null when unknown. */
  generatedTokens: number | null;
}

/**
 * Foreign requests (on the host beyond our own in flight at that instant), over the probes of a cell or run.
 * A lower bound: while our own requests fill every slot, a foreign one waiting for a slot cannot be seen.
 */
export interface ForeignRequests {
  /** Most seen by one probe. */
  peak: number;
  /** Mean over the probes that could count them. */
  mean: number;
  /** Probes that counted them. */
  probes: number;
}

/** Whether the client kept up during one cell: if not, the cell's timings include client-side delay. */
export interface CellClientHealth {
  /**
   * The event-loop delay at p99 was above 10 ms, or more than 1% of the requests were flagged `client-wait`:
   * the cell's timings are late by up to that much, or the server saw less load than the cell claims.
   */
  saturated: boolean;
  /**
   * Event-loop delay during the cell, ms, beyond the monitor's own interval (an idle loop reads about 0).
   * Null when the cell was too short to read (under ~40 ms).
   */
  eventLoopDelayP99Ms: number | null;
  eventLoopDelayMaxMs: number | null;
  /** Requests flagged `client-wait`. */
  clientWaitRequests: number;
  /** p99 of the time requests waited in the client before being written (`Sample.queueMs`); null when unknown. */
  queueP99Ms: number | null;
  /**
   * Worker threads the cell's requests ran on (suite `workers`, issue #21); absent when the main thread sent
   * them. The event-loop figures above are then the worst worker's, and saturated means any worker was.
   */
  workers?: number | undefined;
  /** Each worker thread's event-loop delay p99, ms (null: not read); absent without workers. */
  workerLoopDelayP99Ms?: (number | null)[] | undefined;
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

/** Whether the client kept up during the run: the roll-up of its cells' `client` (the worst cell). */
export interface ClientHealth {
  /** True when the client was saturated in at least one cell (see `CellClientHealth.saturated`). */
  clientSaturated: boolean;
  /** The highest of the cells' event-loop delays, ms (beyond the monitor's interval). */
  eventLoopDelayP99Ms: number | null;
  eventLoopDelayMaxMs: number | null;
  /** Cells in which the client was saturated. */
  saturatedCells: number;
}

/** How each model's prompts were sized. */
export interface PromptCalibration {
  model: string;
  /** `tokenizer`: measured against the server's tokenizer; `estimate`: it could not be asked. */
  method: 'tokenizer' | 'estimate';
  note?: string | undefined;
  /**
   * How a `tokenizer` calibration counted: absent for the server's tokenizer endpoint; `usage` when the
   * server had none and each count was a one-token request whose reported prompt size was read.
   */
  countedBy?: 'usage' | undefined;
  /**
   * Prompt tokens the server reuses from its cache whatever the unique prefix (the chat template's head),
   * when it cannot be told not to cache: a sample is flagged `warm-cache` only when it reused more than
   * these and the nonce's 6 digits (reuse that stops inside the nonce never reaches the filler).
   */
  sharedPrefixTokens?: number | undefined;
}

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** A whole run: what `runBenchSuite` returns, what `--json` prints. */
export interface RunResult {
  runId: string;
  /** `bench` for benchmark runs (the default); an embedding app may store others (`eval`, `smoke`, ...). */
  jobType: string;
  /** The server measured: its base URL as shown (redacted), and its registered name when it has one. */
  host: { id?: string | undefined; baseUrl: string };
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
  /** Foreign requests over the whole run (see `CellResult.concurrentForeignRequests`). */
  concurrentForeignRequests?: ForeignRequests | null | undefined;
  /** Some cell, or another phase of the run, saw foreign requests. */
  polluted?: boolean | undefined;
  /** Suites with a `sweep`: one summary per model × prompt size × output length, in run order. */
  sweeps?: SweepSummary[] | undefined;
  /** Set when the run stopped on an error it could not record as a sample. */
  error?: { code: SampleErrorCode; message: string } | undefined;
}
