/**
 * HTTP over an undici Pool: one place that sends a request and turns every way it can fail into a
 * SwapbenchError (unreachable, timeout, HTTP status with the server's own message) or the signal's reason.
 */
import { Pool, type Dispatcher } from 'undici';
import {
  HostUnreachableError,
  HttpStatusError,
  ModelNotFoundError,
  RequestTimeoutError,
  ServerLoadingError,
  StreamProtocolError,
  SwapbenchError,
} from '../../errors/errors.js';

export interface HttpClientOptions {
  baseUrl: string;
  connections: number;
  apiKey?: string | undefined;
  headersTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  dispatcher?: Dispatcher | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** The model the request is for, to name it in a not-found error. */
  model?: string | undefined;
}

export type HttpResponse = Dispatcher.ResponseData;

/** undici's own default for both timeouts. */
const UNDICI_DEFAULT_TIMEOUT_MS = 300_000;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE']);

/** Messages of "unknown model" answers: llama-swap (new and legacy), vLLM, Ollama. */
const MODEL_NOT_FOUND = /no router|could not find|not found|does not exist|no model id|unknown model|invalid 'model'/i;

export class HttpClient {
  readonly origin: string;
  /** Path prefix of the base URL (`/v1` is dropped: routes are absolute). */
  private readonly prefix: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headers: Record<string, string>;
  private readonly getHeaders: Record<string, string>;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.ownsDispatcher = options.dispatcher === undefined;
    // undici's keep-alive defaults (4 s idle, or the server's `Keep-Alive` hint) stay under llama-server's
    // 5 s idle close, so a POST is never sent on a socket the server is closing.
    this.dispatcher = options.dispatcher ?? new Pool(url.origin, { connections: options.connections, pipelining: 1 });
    this.getHeaders = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    // llama-swap reads `model` from the body only when the content type says JSON.
    this.headers = { 'content-type': 'application/json', ...this.getHeaders };
  }

  /** Full URL of a path, for messages. */
  url(path: string): string {
    return `${this.origin}${this.prefix}${path}`;
  }

  /** Send a request; resolves with a 2xx response whose body the caller must consume or destroy. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { signal } = request;
    signal?.throwIfAborted();
    let response: HttpResponse;
    try {
      response = await this.dispatcher.request({ ...this.dispatchOptions(request), signal: signal ?? null });
    } catch (err) {
      throw this.mapError(err, signal, 'headers');
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw this.mapError(err, signal, 'body');
    }
    throw await this.failure(response.statusCode, request, text);
  }

  /**
   * Send a request through undici's low-level `dispatch`: the handler's callbacks run in the socket's read,
   * with no body stream or promise in between (the streaming path). Abort through the handler's controller.
   */
  dispatch(request: HttpRequest, handler: Dispatcher.DispatchHandler): void {
    this.dispatcher.dispatch(this.dispatchOptions(request), handler);
  }

  /** The error for a non-2xx answer with body `text`; an unknown model's error names the models there are. */
  async failure(status: number, request: HttpRequest, text: string): Promise<HttpStatusError> {
    const error = this.statusError(status, request, text);
    if (error instanceof ModelNotFoundError && request.path !== '/v1/models') {
      // Name what the server does have; best effort, the error stands either way.
      const available = await this.json<unknown>({ method: 'GET', path: '/v1/models', signal: request.signal })
        .then(modelIds)
        .catch(() => []);
      if (available.length > 0) return new ModelNotFoundError(error.model, error.url, text, available, error.status);
    }
    return error;
  }

  private dispatchOptions(request: HttpRequest): Dispatcher.DispatchOptions {
    return {
      origin: this.origin,
      path: `${this.prefix}${request.path}`,
      method: request.method,
      headers: request.method === 'POST' ? this.headers : this.getHeaders,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      // Per request rather than on the Pool, so they hold for an injected dispatcher too.
      ...(this.options.headersTimeoutMs === undefined ? {} : { headersTimeout: this.options.headersTimeoutMs }),
      ...(this.options.bodyTimeoutMs === undefined ? {} : { bodyTimeout: this.options.bodyTimeoutMs }),
    };
  }

  /** GET or POST and parse JSON. */
  async json<T>(request: HttpRequest): Promise<T> {
    const response = await this.send(request);
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw this.mapError(err, request.signal, 'body');
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StreamProtocolError(`${this.url(request.path)} did not answer JSON`, text);
    }
  }

  /** Send and read the body as text (llama-swap answers `OK`). */
  async text(request: HttpRequest): Promise<string> {
    const response = await this.send(request);
    try {
      return await response.body.text();
    } catch (err) {
      throw this.mapError(err, request.signal, 'body');
    }
  }

  /** Map a thrown error: the caller's abort stays the abort; network failures become SwapbenchErrors. */
  mapError(err: unknown, signal: AbortSignal | undefined, phase: 'headers' | 'body'): unknown {
    if (signal?.aborted) return signal.reason;
    if (SwapbenchError.is(err)) return err;
    const code = errCode(err);
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new RequestTimeoutError('headers', this.options.headersTimeoutMs ?? UNDICI_DEFAULT_TIMEOUT_MS);
    if (code === 'UND_ERR_BODY_TIMEOUT') return new RequestTimeoutError('body', this.options.bodyTimeoutMs ?? UNDICI_DEFAULT_TIMEOUT_MS);
    if (phase === 'headers' && code !== undefined && UNREACHABLE.has(code)) return new HostUnreachableError(this.origin, { cause: err });
    // Bytes that are not HTTP (llhttp), or a connection cut inside a chunked body ("Invalid EOF state").
    const notHttp = err instanceof Error && err.name === 'HTTPParserError';
    if (notHttp || (phase === 'body' && code !== undefined && (UNREACHABLE.has(code) || code.startsWith('UND_ERR_')))) {
      // Once the response had started this is a broken stream, not an unreachable host.
      const what = phase === 'body' ? 'closed mid-response' : 'answered with something that is not HTTP';
      return new StreamProtocolError(`connection to ${this.origin} ${what} (${code ?? (err as Error).message})`, '', { cause: err });
    }
    return err;
  }

  /** The error for a non-2xx answer, carrying the server's own message. */
  statusError(status: number, request: HttpRequest, body: string): HttpStatusError {
    const url = this.url(request.path);
    const message = serverMessage(body);
    if (status === 503 && /loading/i.test(message ?? body)) return new ServerLoadingError(url, body);
    // llama.cpp's unknown route is a 404 "File Not Found": a missing endpoint, not a missing model.
    if (request.model !== undefined && (status === 404 || status === 400) && MODEL_NOT_FOUND.test(message ?? '') && !/file not found/i.test(message ?? '')) {
      return new ModelNotFoundError(request.model, url, body, [], status);
    }
    return new HttpStatusError(status, url, body, message ? { message: `HTTP ${status} from ${url}: ${message}` } : {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

/** Model ids of a `/v1/models` answer: OpenAI `data[].id`, else Ollama-style `models[].name`. */
export function modelIds(json: unknown): string[] {
  const body = json as { data?: { id?: unknown }[]; models?: { name?: unknown }[] } | null;
  const ids = (Array.isArray(body?.data) ? body.data : []).flatMap((m) => (typeof m?.id === 'string' ? [m.id] : []));
  if (ids.length > 0) return ids;
  return (Array.isArray(body?.models) ? body.models : []).flatMap((m) => (typeof m?.name === 'string' ? [m.name] : []));
}

/** The message in llama.cpp (`{error:{message}}`), llama-swap (`{src, error}`), OpenAI or Ollama error bodies. */
export function serverMessage(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (json.error && typeof (json.error as { message?: unknown }).message === 'string') return (json.error as { message: string }).message;
    if (typeof json.message === 'string') return json.message;
    if (typeof json.detail === 'string') return json.detail;
  } catch {
    // Not JSON: llama-swap and proxies answer plain text.
  }
  const text = body.trim();
  return text ? text.slice(0, 300) : undefined;
}

function errCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
  }
  return undefined;
}
