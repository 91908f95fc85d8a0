/**
 * HTTP over an undici Pool with keep-alive: one place that sends a request and turns every way it can fail
 * into a SwapbenchError or the signal's reason. Server-specific knowledge comes in as options.
 */
import { Pool, type Dispatcher } from 'undici';
import { ModelNotFoundError, StreamProtocolError, type HttpStatusError } from '../../errors/errors.js';
import { CallDeadline } from './call-deadline.js';
import { mapRequestError, statusError, type RequestPhase, type StatusErrorRules } from './map-error.js';
import { CALL_BODY_LIMIT, ERROR_BODY_LIMIT, readLimited } from './read-body.js';
import { isConnectionClosed, SendRecord, trackSend } from './send-tracker.js';
import { StreamConnections, type StreamSend } from './stream-connections.js';

/** The timeouts a client uses where its options leave them out, ms; why each is what it is is on the option. */
export const DEFAULT_TIMEOUTS = Object.freeze({ connectMs: 10_000, headersMs: 300_000, bodyMs: 300_000, callMs: 30_000 });

/** How to reach a server and read its answers. */
export interface HttpClientOptions {
  /** e.g. `http://127.0.0.1:8080`; a path prefix is kept, a trailing `/v1` dropped (routes are absolute). */
  baseUrl: string;
  /** Streams in flight at most (more wait in the client); undefined: no limit. */
  connections?: number | undefined;
  /** The clock a send's connection time is measured on. */
  clock?: (() => number) | undefined;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string | undefined;
  /** Sent with every request; `apiKey`'s authorization wins over one here. */
  headers?: Record<string, string> | undefined;
  /** Longest wait for a TCP (and TLS) connection, ms; default 10 000. Only for the client's own Pool. */
  connectTimeoutMs?: number | undefined;
  /** Streams: longest wait for response headers, ms; default 300 000. */
  headersTimeoutMs?: number | undefined;
  /** Streams: longest silence inside a body, ms; default 300 000. */
  bodyTimeoutMs?: number | undefined;
  /** Every other call: deadline from the call to the last byte of its answer, ms; default 30 000. */
  callTimeoutMs?: number | undefined;
  /** Use this dispatcher instead of a Pool of our own; `close()` leaves it open. */
  dispatcher?: Dispatcher | undefined;
  /** What the server's error messages mean. */
  errorRules?: StatusErrorRules | undefined;
  /** The models the server has, named in a ModelNotFoundError; best effort. */
  availableModels?: ((http: HttpClient, signal: AbortSignal | undefined) => Promise<string[]>) | undefined;
}

/** One request. Routes are absolute paths below the base URL. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Extra headers (e.g. `x-request-id`). */
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** The model the request is for, to name it in a not-found error. */
  model?: string | undefined;
  /**
   * Send `Connection: close`: this connection carries no later request. For a server that closes its
   * connection after such an answer anyway (llama-server after a stream), so no request is ever written on
   * a connection the server is closing.
   */
  closeConnection?: boolean | undefined;
  /** A short call's deadline instead of the client's `callTimeoutMs` (one that may wait for a model load). */
  timeoutMs?: number | undefined;
}

/** Connections for calls (everything but streams): a few run at once (`/slots` beside `/metrics`). */
const CALL_CONNECTIONS = 4;

/** How one send of a request went out. */
export interface SendInfo {
  /** Whether the server never ran it, if it fails (see SendRecord). */
  record: SendRecord;
  /** Time to open a connection for it, when one had to be opened (own stream connections only). */
  send?: StreamSend | undefined;
}

/** A 2xx response whose body the caller must consume or destroy. */
export type HttpResponse = Dispatcher.ResponseData;

/** A send on a connection of its own: it never carried an earlier request, so a failure proves nothing. */
const NEVER_REUSED = new SendRecord();

/** Sends requests to one server and maps their failures. */
export class HttpClient {
  readonly origin: string;
  /** Path prefix of the base URL. */
  private readonly prefix: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  /** Streams' own connections; undefined with an injected dispatcher, which carries streams too. */
  private readonly streams: StreamConnections | undefined;
  private readonly postHeaders: Record<string, string>;
  private readonly getHeaders: Record<string, string>;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_TIMEOUTS.headersMs;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_TIMEOUTS.bodyMs;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_TIMEOUTS.callMs;
    this.ownsDispatcher = options.dispatcher === undefined;
    // undici's keep-alive defaults (4 s idle, or the server's `Keep-Alive` hint) stay under the 5 s idle
    // close of llama-server and most others. A server that closes sooner than it said (llama-server after a
    // stream) is met by `closeConnection` and, where a request was lost anyway, by sending it again.
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectMs;
    this.dispatcher =
      options.dispatcher ?? new Pool(url.origin, { connections: CALL_CONNECTIONS, pipelining: 1, connectTimeout: connectTimeoutMs });
    this.streams =
      options.dispatcher === undefined
        ? new StreamConnections(url, { connectTimeoutMs, limit: options.connections, clock: options.clock ?? (() => performance.now()) })
        : undefined;
    this.getHeaders = { ...lowerCased(options.headers), ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
    // Proxies that route by the body's `model` (llama-swap) read it only when the content type says JSON.
    this.postHeaders = { ...this.getHeaders, 'content-type': 'application/json' };
  }

  /** Full URL of a path, for messages. */
  url(path: string): string {
    return `${this.origin}${this.prefix}${path}`;
  }

  /**
   * Send a stream through undici's low-level `dispatch`: the handler's callbacks run in the socket's read,
   * with no body stream or promise in between. Abort through the handler's controller. On the client's own
   * stream connections (see StreamConnections), a stream that `closeConnection`s has a connection of its own;
   * on a reused connection, the record tells, if the request fails, whether the server never ran it.
   */
  dispatch(request: HttpRequest, handler: Dispatcher.DispatchHandler): SendInfo {
    const options = this.dispatchOptions(request, this.headersTimeoutMs, this.bodyTimeoutMs);
    const once = request.closeConnection === true;
    if (this.streams && once) return { record: NEVER_REUSED, send: this.streams.dispatch(options, handler, true) };
    // A Buffer body: undici keeps the object, which is how the send tracker finds this request.
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : null;
    const record = trackSend(body);
    if (this.streams) return { record, send: this.streams.dispatch({ ...options, body }, handler, false) };
    this.dispatcher.dispatch({ ...options, body }, handler);
    return { record };
  }

  /**
   * Open connections for a load of `count` streams in flight before it starts, and keep replacements ready
   * while it runs; 0 ends the load. Does nothing with an injected dispatcher.
   */
  reserveStreams(count: number): Promise<void> {
    return this.streams?.reserve(count) ?? Promise.resolve();
  }

  /** Send and parse the answer as JSON (StreamProtocolError when it is not). */
  async json<T>(request: HttpRequest): Promise<T> {
    const text = await this.text(request);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StreamProtocolError(`${this.url(request.path)} did not answer JSON`, text);
    }
  }

  /**
   * Send a short call and read its answer as text, all under the call's deadline (`timeoutMs`, else the
   * client's `callTimeoutMs`). For idempotent requests only (every route but the streamed generation is): a
   * connection closed before the answer started is tried once more on a new one, as HTTP allows.
   */
  async text(request: HttpRequest): Promise<string> {
    const deadline = new CallDeadline(request.timeoutMs ?? this.callTimeoutMs, request.signal);
    const call = { ...request, signal: deadline.signal };
    try {
      const response = await this.send(call);
      deadline.phase = 'body';
      const status = response.statusCode;
      if (status < 200 || status >= 300) throw await this.failure(status, call, await this.errorText(response, call));
      const { text, truncated } = await this.read(response, call, CALL_BODY_LIMIT);
      // Past the limit the answer is not what was asked for; reading on would only fill memory.
      if (truncated)
        throw new StreamProtocolError(`${this.url(request.path)} answered more than ${CALL_BODY_LIMIT} bytes`, text.slice(0, 200));
      return text;
    } finally {
      deadline.clear();
    }
  }

  /** The error for a non-2xx answer with body `text`; an unknown model's error names the models there are. */
  async failure(status: number, request: HttpRequest, text: string): Promise<HttpStatusError> {
    const error = statusError(status, this.url(request.path), text, request.model, this.options.errorRules ?? {}, request.path);
    const list = this.options.availableModels;
    if (error instanceof ModelNotFoundError && list) {
      // Best effort: the error stands either way.
      const available = await list(this, request.signal).catch(() => []);
      if (available.length > 0) return new ModelNotFoundError(error.model, error.url, text, available, error.status);
    }
    return error;
  }

  /** Map a thrown error: the caller's abort stays the abort; network failures become SwapbenchErrors. */
  mapError(err: unknown, signal: AbortSignal | undefined, phase: RequestPhase): unknown {
    return mapRequestError(err, {
      signal,
      phase,
      origin: this.origin,
      headersTimeoutMs: this.headersTimeoutMs,
      bodyTimeoutMs: this.bodyTimeoutMs,
    });
  }

  /** Release the pool (an injected dispatcher stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.streams?.close();
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** Send once, and once more if the connection closed before any answer; resolves with any status. */
  private async send(request: HttpRequest): Promise<HttpResponse> {
    const { signal } = request;
    signal?.throwIfAborted();
    for (let attempt = 1; ; attempt++) {
      try {
        // undici's per-phase timers are off: the call's deadline bounds the whole exchange.
        return await this.dispatcher.request({ ...this.dispatchOptions(request, 0, 0), signal: signal ?? null });
      } catch (err) {
        if (attempt === 1 && !signal?.aborted && isConnectionClosed(err)) continue;
        throw this.mapError(err, signal, 'headers');
      }
    }
  }

  /** Up to `limit` bytes of a body; a failure while reading it is mapped. */
  private async read(response: HttpResponse, request: HttpRequest, limit: number) {
    try {
      return await readLimited(response.body, limit);
    } catch (err) {
      throw this.mapError(err, request.signal, 'body');
    }
  }

  /** The start of an error body, for its message (at most ERROR_BODY_LIMIT bytes; the rest is never read). */
  private async errorText(response: HttpResponse, request: HttpRequest): Promise<string> {
    try {
      // A connection cut inside the error body still leaves what came before it: the status is what counts.
      return (await readLimited(response.body, ERROR_BODY_LIMIT, { keepOnError: true })).text;
    } finally {
      request.signal?.throwIfAborted();
    }
  }

  private headers(request: HttpRequest): Record<string, string> {
    const base = request.method === 'POST' ? this.postHeaders : this.getHeaders;
    return request.headers ? { ...base, ...request.headers } : base;
  }

  /** undici's options for `request`; `headersTimeout` and `bodyTimeout` are undici's own timers (0: off). */
  private dispatchOptions(request: HttpRequest, headersTimeout: number, bodyTimeout: number): Dispatcher.DispatchOptions {
    return {
      origin: this.origin,
      path: `${this.prefix}${request.path}`,
      method: request.method,
      headers: this.headers(request),
      body: request.body === undefined ? null : JSON.stringify(request.body),
      ...(request.closeConnection ? { reset: true } : {}),
      // Per request rather than on the Pool, so they hold for an injected dispatcher too.
      headersTimeout,
      bodyTimeout,
    };
  }
}

/** Header names in lower case, so ours replace a user's `Content-Type` or `Authorization` instead of going beside it. */
function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}
