import type { Stats } from './types.js';

/**
 * How an open-loop cell kept its schedule. Latencies in `CellResult.ttftMs`/`e2eMs` start when each request
 * was written (the server's view); the `scheduled*` ones here start when it was due (the user's view): a
 * request that had to wait for a free in-flight slot, or for the client, carries that wait in them.
 */
export interface OpenLoopFigures {
  /** Offered rate, requests/s. */
  rate: number;
  arrivals: 'poisson' | 'constant';
  /**
   * The rate the schedule really offered, requests/s: (requests − 1) over the span from the first arrival to
   * the last (a short Poisson schedule is off its nominal rate by chance).
   */
  offeredRps: number | null;
  /**
   * Completed requests/s: (completions − 1) over the span from the first completion to the last, so the
   * ramp-up and drain of a short cell are not read as a slow server. Equals `offeredRps` (within the noise of
   * service times) until the host saturates, then stays at what it can serve.
   */
  achievedRps: number | null;
  /** Requests that started more than `LATE_AFTER_MS` after they were due (flagged `late`). */
  late: number;
  /** Due → handed to the transport, ms. */
  scheduleLagMs: Stats;
  /** Due → first token, ms. */
  scheduledTtftMs: Stats;
  /** Due → end of the stream, ms. */
  scheduledE2eMs: Stats;
}

/** A cell's requests against the suite's SLOs. */
export interface Goodput {
  /** Requests that succeeded and met every SLO. */
  good: number;
  /** good / measured requests not cut by a cancel (failed ones count as not good); null with none. */
  share: number | null;
  /** Good requests per second of the cell's wall time. */
  rps: number | null;
}

/** One step of a sweep: the cell it measured and what it found. */
export interface SweepStep {
  kind: 'synchronous' | 'throughput' | 'rate';
  /** The step's offered rate (rate steps), requests/s. */
  rate?: number | undefined;
  /** Requests in flight (closed-loop steps), or the in-flight cap (rate steps). */
  concurrency: number;
  /** Rate steps: what the schedule really offered (see `OpenLoopFigures.offeredRps`). */
  offeredRps?: number | null | undefined;
  /**
   * Completed requests/s: for closed-loop steps over the cell's wall time, for rate steps over the span of
   * completions (see `OpenLoopFigures.achievedRps`).
   */
  achievedRps: number | null;
  /** Median latencies; rate steps count from when each request was due. */
  e2eP50Ms: number | null;
  ttftP50Ms: number | null;
  errorShare: number;
  /** Share of good requests, when the suite has SLOs. */
  goodShare?: number | null | undefined;
}

/** A sweep over one model × prompt size × output length. */
export interface SweepSummary {
  model: string;
  promptTokens: number;
  maxTokens: number;
  steps: SweepStep[];
  /** One stream's rate: completed requests/s at concurrency 1. */
  synchronousRps: number | null;
  /**
   * Where the host saturates: the most requests/s a closed-loop step (one stream, maximum throughput)
   * completed over its wall time. Rate steps' figures are not counted: see `SweepStep.achievedRps`.
   */
  saturationRps: number | null;
  /** Why the sweep ended: all steps ran, the host saturated, or too many requests failed. */
  stoppedBy: 'completed' | 'saturated' | 'errors' | 'cancelled';
  /** The highest offered rate whose good share stayed at or above the SLO target; null when none did (or no SLO). */
  maxGoodRate: number | null;
}
