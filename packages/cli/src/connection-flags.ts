import { ConfigError } from '@swapbench/core/errors';
import { apiKeyProblem, baseUrlProblem, headerProblem, redactUrl } from '@swapbench/core';

/**
 * Check the server's base URL from `--host` (or `SWAPBENCH_HOST`, named as `flag`) and return it trimmed:
 * anything core's `baseUrlProblem` refuses is a ConfigError (exit 2) naming the flag, before any connection.
 */
export function checkHostUrl(value: string, flag = '--host'): string {
  const problem = baseUrlProblem(value);
  if (problem) throw new ConfigError([{ path: flag, message: problem }]);
  return value.trim();
}

/** Check an API key from `--api-key` (or `SWAPBENCH_API_KEY`, named as `flag`); the key is never echoed. */
export function checkApiKey(key: string, flag = '--api-key'): void {
  const problem = apiKeyProblem(key);
  if (problem) throw new ConfigError([{ path: flag, message: problem }]);
}

/**
 * An https:// URL to a server without TLS is bad usage naming `flag` (exit 2), or undefined for anything
 * else: the transport already says every other TLS failure (an untrusted certificate, …) in words.
 */
export async function tlsProblem(err: unknown, baseUrl: string, flag = '--host'): Promise<Error | undefined> {
  // The transport wraps the socket's error (as HOST_UNREACHABLE, with a hint): look for its code down the chain.
  const code = tlsCode(err);
  if (!code.startsWith('ERR_SSL_')) return undefined;
  const { ConfigError } = await import('@swapbench/core/errors');
  const shown = JSON.stringify(redactUrl(baseUrl));
  return new ConfigError([{ path: flag, message: `${shown}: the TLS handshake failed (${code}); a server without TLS needs http://` }], {
    cause: err,
  });
}

/** The first OpenSSL error code (`ERR_SSL_*`) in an error's cause chain, or ''. */
function tlsCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_SSL_')) return code;
  }
  return '';
}

export { SERVER_KINDS, type ServerKindFlag } from './connection-options.js';

/** Headers every request must not be given by `--header`: swapbench sets them itself. */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'x-request-id']);

/**
 * Add one `--header 'Name: value'` to those given so far (commander's repeatable-option reducer): a bad
 * one is a ConfigError naming the flag and the header (exit 2), never its value, which may be a secret.
 * The same name twice keeps the last. An `Authorization` given here (a proxy's Basic auth) yields to
 * `--api-key` when both are given.
 */
export function collectHeader(value: string, previous: Record<string, string> = {}, flag = '--header'): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0)
    throw new ConfigError([{ path: flag, message: `expects 'Name: value', got no "Name:" in an argument of ${value.length} characters` }]);
  const name = value.slice(0, colon).trim();
  const headerValue = value.slice(colon + 1).trim();
  const problem = headerProblem(name, headerValue);
  if (problem) throw new ConfigError([{ path: `${flag} ${JSON.stringify(name)}`, message: problem }]);
  const lower = name.toLowerCase();
  if (OWN_HEADERS.has(lower))
    throw new ConfigError([{ path: `${flag} ${JSON.stringify(name)}`, message: 'is set by swapbench itself and cannot be replaced' }]);
  const out = Object.fromEntries(Object.entries(previous).filter(([k]) => k.toLowerCase() !== lower));
  out[name] = headerValue;
  return out;
}

/**
 * Every `--header` given, as one record for the transport's `headers` (undefined when none): commander
 * collects the raw strings, and they are checked here, inside the action, with the flag named.
 */
export function parseHeaders(values: readonly string[] | undefined, flag = '--header'): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  return values.reduce<Record<string, string>>((headers, value) => collectHeader(value, headers, flag), {});
}

/**
 * The transport's connection settings from the flags (`--api-key`, `--header`), checked: an empty key (an
 * unset SWAPBENCH_API_KEY=) sends none; `keyFlag` names where the key came from.
 */
export function connectionSettings(
  flags: { apiKey?: string | undefined; header?: string[] | undefined },
  keyFlag = '--api-key',
): {
  apiKey?: string;
  headers?: Record<string, string>;
} {
  if (flags.apiKey) checkApiKey(flags.apiKey, keyFlag);
  const headers = parseHeaders(flags.header);
  return { ...(flags.apiKey ? { apiKey: flags.apiKey } : {}), ...(headers ? { headers } : {}) };
}
