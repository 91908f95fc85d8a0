import { ConfigError } from '@swapbench/core/errors';
import { apiKeyProblem, baseUrlProblem, redactUrl } from '@swapbench/core';

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
