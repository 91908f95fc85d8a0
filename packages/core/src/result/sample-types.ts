/** One measured request as it is stored: its figures, its flags, its error. */
import type { SampleErrorCode } from '../errors/codes.js';
import type { NormalizedTimings } from '../timings/parse-llama-timings.js';
import type { CellKey } from './types.js';

/** Why a sample's figures deserve a second look. */
export type SampleFlag =
  /** `cache_n > 0` while the suite asked to bust the cache: prompt speed is flattered. */
  | 'warm-cache'
  /** The server generated a different number of tokens than asked, despite `ignoreEos`. */
  | 'length-mismatch'
  /** The server evaluated a different prompt size than asked. */
  | 'prompt-size-mismatch'
  /**
   * The request waited in the client (for a connection, or behind the event loop) longer than
   * `CLIENT_WAIT_FLAG_MS` before it was written: the server saw it later than the load asked for.
   */
  | 'client-wait'
  /** Open loop: the request started more than `LATE_AFTER_MS` after it was due (the in-flight cap, or a busy client). */
  | 'late';

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
   * The id sent with the request (`X-Request-Id`), to find it in server or proxy logs; `responseId` is the
   * server's own.
   */
  requestId?: string | undefined;
  /**
   * Time the request spent in the client before it was written on a connection, ms: waiting for a free
   * connection or for the event loop, not opening a connection (that is `connectMs`). Latencies (TTFB,
   * TTFT, E2E) start when the request was written, so neither is in them. Absent when the transport cannot
   * tell when it wrote the request; latencies then start when it was handed to the transport.
   */
  queueMs?: number | undefined;
  /** Time to open a connection for this request, ms, when none was ready (absent when one was). */
  connectMs?: number | undefined;
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
  /** Raw clock readings of the request, when the run asked for them (`timelines: true`). */
  timeline?: SampleTimeline | undefined;
  /** Open loop: due → handed to the transport, ms (how late the client started it). */
  scheduleLagMs?: number | undefined;
  /** Open loop: due → first token, ms (TTFT as the user waited for it). */
  scheduledTtftMs?: number | undefined;
  /** Open loop: due → end of the stream, ms. */
  scheduledE2eMs?: number | undefined;
  /** The prompt size asked for this request when sizes are drawn per request (`promptDistribution`). */
  requestPromptTokens?: number | undefined;
}

/**
 * When things happened to one request, as raw readings of the run's monotonic clock (ms), for harnesses
 * that join a sample with another record (a server's log, a proxy's trace) on the same clock.
 */
export interface SampleTimeline {
  /** The request was handed to the transport. */
  startAt: number;
  /** It was written on a connection (absent when the transport cannot tell). */
  sentAt?: number | undefined;
  /** Each output token arrived (a chunk of k tokens gives k equal readings). */
  tokenAt: number[];
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
