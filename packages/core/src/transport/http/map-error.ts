/**
 * How a failed HTTP exchange becomes an error: a network failure, a timeout or a non-2xx answer turns into
 * a SwapbenchError, and the caller's abort stays the signal's reason. What a server's messages mean (an
 * unknown model, a model still loading) is data each transport passes in as `StatusErrorRules`.
 */
import {
  HostUnreachableError,
  HttpStatusError,
  ModelNotFoundError,
  RequestTimeoutError,
  ServerLoadingError,
  StreamProtocolError,
  SwapbenchError,
} from '../../errors/errors.js';
import { serverMessage } from './server-message.js';

/** How to read a server's error answers. Without rules, every non-2xx answer is a plain HttpStatusError. */
export interface StatusErrorRules {
  /** Messages of a 404 or 400 that mean "no such model", for a request that names one. */
  modelNotFound?: RegExp;
  /** Messages that match `modelNotFound` but mean something else (llama.cpp's unknown route, "File Not Found"). */
  notModelNotFound?: RegExp;
  /** Messages of a 503 that mean the server is still loading its model. */
  loading?: RegExp;
}

/** Where a request was when it failed: waiting for the answer's headers, or reading its body. */
export type RequestPhase = 'headers' | 'body';

/** What `mapRequestError` needs to know about the request. */
export interface MapErrorContext {
  signal: AbortSignal | undefined;
  phase: RequestPhase;
  /** Origin of the server, named in HostUnreachableError. */
  origin: string;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** Network error codes that mean nobody (or nothing sane) answered at that address. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'EPIPE',
]);

/** Map a thrown error: the caller's abort stays the abort; network failures become SwapbenchErrors. */
export function mapRequestError(err: unknown, context: MapErrorContext): unknown {
  const { signal, phase, origin } = context;
  if (signal?.aborted) return signal.reason;
  if (SwapbenchError.is(err)) return err;
  const code = errCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new RequestTimeoutError('headers', context.headersTimeoutMs);
  if (code === 'UND_ERR_BODY_TIMEOUT') return new RequestTimeoutError('body', context.bodyTimeoutMs);
  if (phase === 'headers' && code !== undefined && UNREACHABLE.has(code)) return new HostUnreachableError(origin, { cause: err });
  // Bytes that are not HTTP (llhttp), or a connection cut inside a chunked body ("Invalid EOF state").
  const notHttp = err instanceof Error && err.name === 'HTTPParserError';
  if (notHttp || (phase === 'body' && code !== undefined && (UNREACHABLE.has(code) || code.startsWith('UND_ERR_')))) {
    // Once the response had started this is a broken stream, not an unreachable host.
    const what = phase === 'body' ? 'closed mid-response' : 'answered with something that is not HTTP';
    return new StreamProtocolError(`connection to ${origin} ${what} (${code ?? (err as Error).message})`, '', { cause: err });
  }
  return err;
}

/** The error for a non-2xx answer from `url`, carrying the server's own message. */
export function statusError(
  status: number,
  url: string,
  body: string,
  model: string | undefined,
  rules: StatusErrorRules,
): HttpStatusError {
  const message = serverMessage(body);
  if (status === 503 && rules.loading?.test(message ?? body)) return new ServerLoadingError(url, body);
  if (model !== undefined && (status === 404 || status === 400) && isModelNotFound(message ?? '', rules)) {
    return new ModelNotFoundError(model, url, body, [], status);
  }
  return new HttpStatusError(status, url, body, message ? { message: `HTTP ${status} from ${url}: ${message}` } : {});
}

function isModelNotFound(message: string, rules: StatusErrorRules): boolean {
  return rules.modelNotFound?.test(message) === true && !rules.notModelNotFound?.test(message);
}

/** The first network code along the cause chain; undici's own abort code says nothing, so it is skipped. */
function errCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
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
