/**
 * The llama transport's options, and the check a factory runs before it opens anything: a bad base URL or
 * timeout is a ConfigError naming the option, never a TypeError from deep inside a request, and a base URL
 * with credentials in it is refused rather than silently stripped.
 */
import type { Dispatcher } from 'undici';
import { ConfigError, type ConfigIssue } from '../../errors/errors.js';
import { apiKeyProblem, baseUrlProblem } from '../../util/connection-checks.js';
import { redactUrl } from '../../util/redact-url.js';
import type { LlamaServerKind } from './routes.js';

/** How to reach the server, and what it is. */
export interface LlamaTransportOptions {
  /**
   * e.g. `http://127.0.0.1:8080` (a trailing slash or `/v1` is fine). Credentials (`user:pass@`) are refused
   * with a ConfigError: give a key as `apiKey`. The transport's `baseUrl` shows it redacted.
   */
  baseUrl: string;
  /**
   * What the server is. `auto` (the default) detects it on the first call: llama-swap answers `/running`,
   * llama-server `/props` (`llama-router` when its `role` is `router`), Ollama `/api/version` (its native
   * transport is used then), anything else is `openai`. Until then `kind` reads `openai` and every optional
   * method is present; prefer `connectLlamaTransport`, which detects before it returns.
   */
  kind?: LlamaServerKind | 'ollama' | 'auto';
  /**
   * Streams in flight at most; more wait in the client (their `queueMs`). Default: no limit. Each stream
   * has a connection of its own, opened ahead of a load (`reserveConnections`, which `runBenchSuite`
   * calls before each cell); `runBenchSuite` refuses a concurrency above this limit.
   */
  connections?: number;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Headers sent with every request (a proxy's own, say); ours win over them (content type, `apiKey`, `x-request-id`). */
  headers?: Record<string, string>;
  /** Ollama: the context size each request asks for (`options.num_ctx`); default the server's. */
  numCtx?: number;
  /** Ollama: how long the model stays loaded after a request (`keep_alive`: `5m`, seconds, `-1`); default the server's. */
  keepAlive?: string | number;
  /**
   * Longest wait for a TCP (and TLS) connection, ms; default 10 000, plenty on any network a benchmark runs
   * over. Exceeded: HostUnreachableError. Not applied to an injected `dispatcher`.
   */
  connectTimeoutMs?: number;
  /**
   * Streams: longest wait for the response headers, ms; default 300 000. llama-server sends them with the
   * first token, after any llama-swap model load, slot queue and prompt processing, each of which can take
   * minutes on slow hardware. Exceeded: RequestTimeoutError('headers'). undici checks this and
   * `bodyTimeoutMs` on a clock that ticks every half second, so they may fire up to a second late.
   */
  headersTimeoutMs?: number;
  /**
   * Streams: longest silence between two reads of the body, ms; default 300 000 (a big prompt of another
   * slot can hold every stream for its batch). Exceeded: RequestTimeoutError('body').
   */
  bodyTimeoutMs?: number;
  /**
   * Every other call (detection, `/v1/models`, `/props`, `/running`, `/slots`, `/metrics`, llama-server's
   * `/tokenize` and `/apply-template`): deadline from the call to the last byte of the answer, ms; default
   * 30 000. They answer from memory in milliseconds; one that takes longer is stuck. Exceeded:
   * RequestTimeoutError, with the phase it was in.
   */
  callTimeoutMs?: number;
  /**
   * A call that may wait for llama-swap to load or stop a model (`unload`, and `tokenize`/`applyTemplate`
   * through `/upstream/<model>`, which load the model first): its deadline, ms; default 300 000, as long as
   * a stream may wait for its headers.
   */
  loadTimeoutMs?: number;
  /** Monotonic clock for event stamps, ms; default `performance.now`. */
  clock?: () => number;
  /** Use this dispatcher instead of a Pool of our own (tests: undici MockAgent). Not closed by `close()`. */
  dispatcher?: Dispatcher;
}

/** `loadTimeoutMs` when the options leave it out. */
export const DEFAULT_LOAD_TIMEOUT_MS = 300_000;

/** Node's longest timer: a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

const TIMEOUTS = ['connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs', 'callTimeoutMs', 'loadTimeoutMs'] as const;

/**
 * Check the options; throws one ConfigError listing every problem. Returns the base URL as it may be
 * shown (redacted: query values hidden), the one the transport reports.
 */
export function checkTransportOptions(options: LlamaTransportOptions): { shownUrl: string } {
  const issues: ConfigIssue[] = [];
  const shownUrl = checkBaseUrl(options.baseUrl, issues);
  for (const name of TIMEOUTS) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 1 && value <= MAX_TIMER_MS))
      issues.push({ path: name, message: `must be a number of milliseconds from 1 to ${MAX_TIMER_MS} (Node's longest timer)` });
  }
  const { connections, apiKey } = options;
  if (connections !== undefined && !(Number.isInteger(connections) && connections >= 1))
    issues.push({ path: 'connections', message: 'must be a whole number ≥ 1' });
  // An HTTP header cannot carry a bad key; undici would throw on the first request instead. The key is not shown.
  if (apiKey !== undefined) {
    const problem = typeof apiKey === 'string' ? apiKeyProblem(apiKey) : 'must be a string';
    if (problem && apiKey !== '') issues.push({ path: 'apiKey', message: problem });
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const problem = headerProblem(name, value);
    if (problem) issues.push({ path: `headers.${name}`, message: problem });
  }
  if (options.numCtx !== undefined && !(Number.isInteger(options.numCtx) && options.numCtx >= 1))
    issues.push({ path: 'numCtx', message: 'must be a whole number of tokens ≥ 1' });
  if (issues.length > 0) throw new ConfigError(issues);
  return { shownUrl };
}

/** The redacted base URL; a problem with it goes to `issues`. */
function checkBaseUrl(baseUrl: unknown, issues: ConfigIssue[]): string {
  if (typeof baseUrl !== 'string') {
    issues.push({ path: 'baseUrl', message: "is missing: give the server's URL, e.g. http://127.0.0.1:8080" });
    return '';
  }
  const problem = baseUrlProblem(baseUrl);
  if (problem) issues.push({ path: 'baseUrl', message: problem });
  return redactUrl(baseUrl.trim());
}

/** An HTTP token (RFC 9110 `tchar`s): what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a header cannot be sent as given (undici would throw on the first request), or undefined. Values are not shown. */
export function headerProblem(name: string, value: unknown): string | undefined {
  if (!HEADER_NAME.test(name)) return "is not a valid header name (letters, digits and !#$%&'*+.^_`|~- only)";
  if (typeof value !== 'string') return 'must be a string';
  // CR, LF or NUL would split or end the header: a request-smuggling risk undici refuses.
  if (/[\r\n\0]/.test(value)) return 'must not contain a line break or NUL';
  return undefined;
}
