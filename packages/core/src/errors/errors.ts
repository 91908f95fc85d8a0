/**
 * Error classes, one per code of `ErrorCode`. Each has a stable `code` (stored with failed samples, mapped to
 * exit codes by the CLI and to HTTP statuses by the HTTP plugin) and an `is()` check that works across two
 * copies of the package. An abort is never wrapped: below the engine, `signal.reason` is rethrown unchanged.
 * This module imports nothing, so `@swapbench/core/errors` is cheap to load.
 */
import type { ErrorCode, SampleErrorCode } from './codes.js';

const MARKER = Symbol.for('swapbench.error');

/** Base class of every error swapbench throws on purpose. */
export class SwapbenchError extends Error {
  /** Stable machine-readable code, e.g. `HOST_UNREACHABLE`. */
  readonly code: ErrorCode;
  readonly [MARKER] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** True for any SwapbenchError, even one from another copy of this package. */
  static is(err: unknown): err is SwapbenchError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** One problem found in a suite file, CLI flag or request body. */
export interface ConfigIssue {
  /** Dotted path inside the input, e.g. `concurrency[1]`; empty for the whole input. */
  path: string;
  message: string;
}

/** Invalid configuration: a suite file, a flag or a body. Lists every problem with its path. */
export class ConfigError extends SwapbenchError {
  readonly source: string | undefined;
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { source?: string; cause?: unknown }) {
    const where = options?.source ? `${options.source}: ` : '';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    super('CONFIG_INVALID', `${where}${lines.length === 1 ? lines[0] : `\n  - ${lines.join('\n  - ')}`}`, options);
    this.source = options?.source;
    this.issues = issues;
  }
}

/** The server could not be reached (DNS, refused, reset before a response). */
export class HostUnreachableError extends SwapbenchError {
  readonly url: string;
  constructor(url: string, options?: { cause?: unknown }) {
    const reason = describeCause(options?.cause);
    super('HOST_UNREACHABLE', `cannot reach ${url}${reason ? `: ${reason}` : ''}`, options);
    this.url = url;
  }
}

/** One request's connection was reset or closed before its answer, while the server itself is reachable. */
export class ConnectionResetError extends SwapbenchError {
  readonly url: string;
  constructor(url: string, options?: { cause?: unknown }) {
    const reason = describeCause(options?.cause);
    super('CONNECTION_RESET', `connection to ${url} was reset before the answer${reason ? `: ${reason}` : ''}`, options);
    this.url = url;
  }
}

/** The client hit a limit of its own machine (too many open files): the message says what to raise. */
export class ClientLimitError extends SwapbenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLIENT_LIMIT', message, options);
  }
}

/** The server answered with a non-2xx status. */
export class HttpStatusError extends SwapbenchError {
  readonly status: number;
  readonly url: string;
  /** The first 500 characters of the response body. */
  readonly body: string;
  constructor(
    status: number,
    url: string,
    body: string,
    options?: { cause?: unknown; code?: 'MODEL_NOT_FOUND' | 'SERVER_LOADING'; message?: string },
  ) {
    const excerpt = body.length > 500 ? `${body.slice(0, 500)}…` : body;
    super(options?.code ?? 'HTTP_STATUS', options?.message ?? `HTTP ${status} from ${url}${excerpt ? `: ${excerpt}` : ''}`, options);
    this.status = status;
    this.url = url;
    this.body = excerpt;
  }
}

/** The server does not know the model asked for (HTTP 404 or llama-swap's 400 on legacy builds). */
export class ModelNotFoundError extends HttpStatusError {
  readonly model: string;
  /** Models the server says it has, when it could be asked. */
  readonly available: string[];
  constructor(model: string, url: string, body: string, available: string[] = [], status = 404) {
    const list = available.length ? ` (the server has: ${available.join(', ')})` : '';
    super(status, url, body, { code: 'MODEL_NOT_FOUND', message: `model "${model}" not found at ${url}${list}` });
    this.model = model;
    this.available = available;
  }
}

/** The server is still loading its model (HTTP 503 "Loading model"). */
export class ServerLoadingError extends HttpStatusError {
  constructor(url: string, body: string) {
    super(503, url, body, { code: 'SERVER_LOADING', message: `server at ${url} is loading its model (HTTP 503)` });
  }
}

/** The stream broke the protocol: a malformed chunk, or it ended without its final chunk. */
export class StreamProtocolError extends SwapbenchError {
  /** The offending bytes, cut to 200 characters. */
  readonly excerpt: string;
  constructor(message: string, excerpt = '', options?: { cause?: unknown }) {
    const cut = excerpt.length > 200 ? `${excerpt.slice(0, 200)}…` : excerpt;
    super('STREAM_PROTOCOL', cut ? `${message}: ${cut}` : message, options);
    this.excerpt = cut;
  }
}

/** A request took longer than allowed. `phase` says where it was stuck. */
export class RequestTimeoutError extends SwapbenchError {
  readonly phase: 'headers' | 'first-token' | 'body';
  readonly timeoutMs: number;
  constructor(phase: 'headers' | 'first-token' | 'body', timeoutMs: number) {
    super('REQUEST_TIMEOUT', `request timed out after ${timeoutMs} ms waiting for ${phase === 'body' ? 'the rest of the stream' : phase}`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** A call into a plug-in (a store, a transport) did not settle in time; the run stopped waiting for it. */
export class DeadlineExceededError extends SwapbenchError {
  /** The call, e.g. `store.runs.appendSamples`. */
  readonly call: string;
  readonly timeoutMs: number;
  constructor(call: string, timeoutMs: number) {
    super('DEADLINE_EXCEEDED', `${call} did not answer within ${timeoutMs} ms`);
    this.call = call;
    this.timeoutMs = timeoutMs;
  }
}

/** Someone else is using the host; benchmarking it now would measure both. */
export class HostBusyError extends SwapbenchError {
  /** What was seen on the host: each request or model in flight that is not ours. */
  readonly evidence: string[];
  constructor(hostId: string, evidence: string[], options?: { cause?: unknown }) {
    super('HOST_BUSY', `host ${hostId} is busy: ${evidence.join('; ')} (--takeover to run anyway)`, options);
    this.evidence = evidence;
  }
}

/** Another benchmark holds the host's lease. */
export class LeaseHeldError extends SwapbenchError {
  /** Who holds it and since when, as the holder wrote it ("swapbench pid 4242 on box since …"). */
  readonly holder: string;
  /** When the lease runs out unless its holder renews it (ISO 8601). */
  readonly expiresAt: string | undefined;
  readonly purpose: string | undefined;
  constructor(hostId: string, holder: string, options?: { expiresAt?: string; purpose?: string; cause?: unknown }) {
    const purpose = options?.purpose ? ` for ${options.purpose}` : '';
    const until = options?.expiresAt ? ` (lease expires ${options.expiresAt} unless renewed)` : '';
    super('LEASE_HELD', `host ${hostId} is leased${purpose} by ${holder}${until}`, options);
    this.holder = holder;
    this.expiresAt = options?.expiresAt;
    this.purpose = options?.purpose;
  }
}

/** A stored record does not match the schema this version understands. */
export class SchemaVersionError extends SwapbenchError {
  constructor(message: string) {
    super('SCHEMA_VERSION', message);
  }
}

/** A stored record cannot be read. */
export class CorruptRecordError extends SwapbenchError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string, options?: { cause?: unknown }) {
    super('CORRUPT_RECORD', `${file}${line === undefined ? '' : `:${line}`}: ${message}`, options);
    this.file = file;
    this.line = line;
  }
}

/** The run finished but every measured request failed. */
export class RunFailedError extends SwapbenchError {
  readonly runId: string;
  constructor(runId: string, message: string, options?: { cause?: unknown }) {
    super('RUN_FAILED', message, options);
    this.runId = runId;
  }
}

/** The server cannot do what was asked: it has no tokenizer, cannot unload, answered without a needed field. */
export class UnsupportedError extends SwapbenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED', message, options);
  }
}

/** A store was used after `close()`. */
export class StoreClosedError extends SwapbenchError {
  constructor(store: string) {
    super('STORE_CLOSED', `${store} is closed`);
  }
}

/**
 * The store cannot be opened as named: a path that is not writable, a file that is not a database, an
 * unknown URI scheme. The message names the store and what to do.
 */
export class StoreUnavailableError extends SwapbenchError {
  readonly store: string;
  constructor(store: string, reason: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', `store ${store}: ${reason}`, options);
    this.store = store;
  }
}

/** No run with this id is stored. */
export class RunNotFoundError extends SwapbenchError {
  readonly runId: string;
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run ${runId} not found`);
    this.runId = runId;
  }
}

/** A run with this id is already stored. */
export class RunExistsError extends SwapbenchError {
  readonly runId: string;
  constructor(runId: string) {
    super('RUN_EXISTS', `run ${runId} already exists`);
    this.runId = runId;
  }
}

/** The error's code for a failed sample: a SwapbenchError's code, else a generic one. */
export function errorCode(err: unknown): SampleErrorCode {
  if (SwapbenchError.is(err)) return err.code;
  if (err instanceof Error && err.name === 'AbortError') return 'ABORTED';
  return 'UNKNOWN';
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${cause.message}`.trim() : cause.message;
}
