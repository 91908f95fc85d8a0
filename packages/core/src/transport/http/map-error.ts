/**
 * How a failed HTTP exchange becomes an error: a network failure, a timeout or a non-2xx answer turns into
 * a SwapbenchError, and the caller's abort stays the signal's reason. What a server's messages mean (an
 * unknown model, a model still loading) is data each transport passes in as `StatusErrorRules`.
 */
import {
  ClientLimitError,
  ConnectionResetError,
  HostUnreachableError,
  HttpStatusError,
  ModelNotFoundError,
  RequestTimeoutError,
  ServerLoadingError,
  StreamProtocolError,
  SwapbenchError,
} from '../../errors/errors.js';
import { CLIENT_LIMIT_CODES, CUT_CODES, clientLimitMessage, describeTlsFailure, UNREACHABLE_CODES } from './network-errors.js';
import { serverMessage } from './server-message.js';

/** How to read a server's error answers. Without rules, every non-2xx answer is a plain HttpStatusError. */
export interface StatusErrorRules {
  /** Messages of a 404 or 400 that mean "no such model", for a request that names one. */
  modelNotFound?: RegExp;
  /** Messages that match `modelNotFound` but mean something else (llama.cpp's unknown route, "File Not Found"). */
  notModelNotFound?: RegExp;
  /** Messages of a 503 that mean the server is still loading its model. */
  loading?: RegExp;
  /**
   * What a plain HttpStatusError from `path` may mean beyond its status (a route this server lacks, so it
   * may be another kind of server): appended to the message in parentheses. `message`: the server's own.
   */
  routeHint?: ((status: number, path: string, message: string) => string | undefined) | undefined;
}

/** Where a request was when it failed: waiting for the answer's headers, or reading its body. */
export type RequestPhase = 'headers' | 'body';

/** What `mapRequestError` needs to know about the request. */
export interface MapErrorContext {
  signal: AbortSignal | undefined;
  phase: RequestPhase;
  /** Origin of the server, named in the errors. */
  origin: string;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * Map a thrown error: the caller's abort (or a call's deadline, which aborts the same way) stays the
 * signal's reason; every network failure becomes the SwapbenchError that says what happened:
 *
 * | what failed                                                   | error (code)                           |
 * | ------------------------------------------------------------- | -------------------------------------- |
 * | undici's headers / body timeout                               | RequestTimeoutError (REQUEST_TIMEOUT)  |
 * | EMFILE, ENFILE: this machine is out of file descriptors       | ClientLimitError (CLIENT_LIMIT)        |
 * | before the answer: a TLS handshake or certificate failure     | HostUnreachableError, said in words    |
 * | before the answer: refused, DNS, no route, connect timeout    | HostUnreachableError (HOST_UNREACHABLE) |
 * | before the answer: ECONNRESET, "other side closed", EPIPE     | ConnectionResetError (CONNECTION_RESET) |
 * | bytes that are not HTTP                                       | StreamProtocolError (STREAM_PROTOCOL)  |
 * | any network failure once the answer has started               | StreamProtocolError, "mid-response"    |
 *
 * Anything else is returned as it is (a bug, recorded as UNKNOWN).
 */
export function mapRequestError(err: unknown, context: MapErrorContext): unknown {
  const { signal, phase, origin } = context;
  if (signal?.aborted) return signal.reason;
  if (SwapbenchError.is(err)) return err;
  const code = errCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new RequestTimeoutError('headers', context.headersTimeoutMs);
  if (code === 'UND_ERR_BODY_TIMEOUT') return new RequestTimeoutError('body', context.bodyTimeoutMs);
  if (code !== undefined && CLIENT_LIMIT_CODES.has(code)) return new ClientLimitError(clientLimitMessage(code, origin), { cause: err });
  // Bytes that are not HTTP (llhttp), or a connection cut inside a chunked body ("Invalid EOF state").
  const notHttp = err instanceof Error && err.name === 'HTTPParserError';
  if (phase === 'headers' && code !== undefined && !notHttp) {
    const tls = describeTlsFailure(code, err instanceof Error ? err.message : '');
    // The words replace OpenSSL's text in the message; the original error stays one cause further down.
    if (tls !== undefined) return new HostUnreachableError(origin, { cause: new Error(tls, { cause: err }) });
    // A plain-HTTP server (llama-server among them) says nothing to a TLS hello: the handshake just times out.
    if (code === 'UND_ERR_CONNECT_TIMEOUT' && origin.startsWith('https:')) {
      const words = `the connection (TLS handshake) timed out: if the server has no TLS, use http:// (${code})`;
      return new HostUnreachableError(origin, { cause: new Error(words, { cause: err }) });
    }
    if (UNREACHABLE_CODES.has(code)) return new HostUnreachableError(origin, { cause: err });
    // The connection was made, so the host is there: only this exchange was cut (the engine goes on).
    if (CUT_CODES.has(code)) return new ConnectionResetError(origin, { cause: err });
    if (code === 'UND_ERR_HEADERS_OVERFLOW')
      return new StreamProtocolError(`${origin} answered with headers larger than undici accepts`, '', { cause: err });
  }
  if (notHttp || (phase === 'body' && code !== undefined)) {
    // Once the response had started this is a broken stream, not an unreachable host.
    const what = phase === 'body' ? 'closed mid-response' : 'answered with something that is not HTTP';
    return new StreamProtocolError(`connection to ${origin} ${what} (${code ?? (err as Error).message})`, '', { cause: err });
  }
  return err;
}

/** The error for a non-2xx answer from `url` (the route `path` below the base URL), carrying the server's own message. */
export function statusError(
  status: number,
  url: string,
  body: string,
  model: string | undefined,
  rules: StatusErrorRules,
  path?: string,
): HttpStatusError {
  const message = serverMessage(body);
  if (status === 503 && rules.loading?.test(message ?? body)) return new ServerLoadingError(url, body);
  if (model !== undefined && (status === 404 || status === 400) && isModelNotFound(message ?? '', rules)) {
    return new ModelNotFoundError(model, url, body, [], status);
  }
  const error = new HttpStatusError(status, url, body, message ? { message: `HTTP ${status} from ${url}: ${message}` } : {});
  const hint = path === undefined ? undefined : rules.routeHint?.(status, path, message ?? body);
  return hint ? new HttpStatusError(status, url, body, { message: `${error.message} (${hint})` }) : error;
}

function isModelNotFound(message: string, rules: StatusErrorRules): boolean {
  return rules.modelNotFound?.test(message) === true && !rules.notModelNotFound?.test(message);
}

/**
 * The first network code along the cause chain (and into the first of an AggregateError's errors, which
 * Node gives when every address of a name failed); undici's own abort code says nothing, so it is skipped.
 */
function errCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause ?? (e instanceof AggregateError ? e.errors[0] : undefined);
  }
  return undefined;
}

/** A request whose failure is not fatal: undefined if it fails, but an abort still rejects. */
export async function bestEffort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined;
  }
}
