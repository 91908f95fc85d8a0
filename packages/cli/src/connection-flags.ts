import { ConfigError } from '@swapbench/core/errors';
import { redactUrl } from './redact.js';

/**
 * Check the server's base URL from `--host` (or `SWAPBENCH_HOST`, named as `flag`) and return it trimmed.
 * Anything that is not a plain `http(s)://host[:port][/path]` is a ConfigError (exit 2) naming the flag and
 * what is wrong, before any connection is tried. Credentials in the URL are refused, never sent or printed:
 * a key goes in `--api-key`. A value without a scheme (`127.0.0.1:8080`) is refused with the fix rather
 * than guessed: guessing http:// for a server the user believed was https:// would send the key in clear.
 */
export function checkHostUrl(value: string, flag = '--host'): string {
  const fail = (message: string) => new ConfigError([{ path: flag, message }]);
  const text = value.trim();
  // Printed only redacted: a malformed URL may still hold a password.
  const shown = JSON.stringify(redactUrl(text));
  if (text === '') throw fail('is empty: give the server base URL, e.g. http://127.0.0.1:8080');
  // A URL parser silently drops tabs and line breaks inside a URL; a space is never part of a host.
  if (/[\p{Cc}\s]/u.test(text)) throw fail(`${shown} contains a space or a control character`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  // `localhost:8080` would parse as a URL with the scheme `localhost:`, so a port-like tail means no scheme.
  if (!scheme || /^[^:]*:\d+(\/.*)?$/.test(text))
    throw fail(`${shown} has no scheme: write http://${redactUrl(text)} (or https:// for a server behind TLS)`);
  if (!/^https?$/i.test(scheme[1]!)) throw fail(`${shown} must be an http:// or https:// URL, not ${scheme[1]}:`);
  if (!/^https?:\/\//i.test(text)) throw fail(`${shown} must start with ${scheme[1]!.toLowerCase()}:// (two slashes)`);
  const authority = text.slice(scheme[0].length + 2).split(/[/?#]/, 1)[0]!;
  if (authority.includes('@'))
    throw fail(
      `${shown} holds credentials (user:password@), which swapbench neither sends nor prints: give the key with --api-key ` +
        '(or SWAPBENCH_API_KEY), sent as a Bearer token',
    );
  if (authority === '') throw fail(`${shown} has no host, e.g. ${scheme[1]}://127.0.0.1:8080`);
  const port = /:(\d*)$/.exec(authority.replace(/^\[[^\]]*\]/, ''))?.[1];
  if (port !== undefined && port !== '' && (Number(port) < 1 || Number(port) > 65535))
    throw fail(`${shown} has port ${port}, outside 1–65535`);
  if (authority.startsWith('[') && !authority.includes(']')) throw fail(`${shown} opens an IPv6 address with [ but never closes it with ]`);
  if (!URL.canParse(text)) throw fail(`${shown} is not a valid URL`);
  const url = new URL(text);
  if (url.search || url.hash) throw fail(`${shown} has a query (?…) or fragment (#…), which swapbench would drop: give the base URL alone`);
  return text;
}

/**
 * Check an API key from `--api-key` (or `SWAPBENCH_API_KEY`, named as `flag`): it is sent as
 * `Authorization: Bearer <key>`, so it must be printable ASCII without spaces. The key itself is never
 * echoed; the message gives the position of the first bad character.
 */
export function checkApiKey(key: string, flag = '--api-key'): void {
  const fail = (message: string) => new ConfigError([{ path: flag, message }]);
  if (/^bearer\s/i.test(key)) throw fail('starts with "Bearer ": give the key alone, swapbench adds "Bearer " itself');
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    const where = `(character ${i + 1} of ${key.length})`;
    if (code === 0x0a || code === 0x0d)
      throw fail(`contains a line break ${where}: an HTTP header cannot carry it (a key read from a file often ends with one)`);
    if (code < 0x20 || code === 0x7f) throw fail(`contains a control character ${where}: an HTTP header cannot carry it`);
    if (code === 0x20) throw fail(`contains a space ${where}: a Bearer token has none`);
    if (code > 0x7e) throw fail(`contains a non-ASCII character ${where}: a Bearer token is ASCII`);
  }
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
