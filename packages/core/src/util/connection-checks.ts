/**
 * Checks of what reaches a server: its base URL and an API key. One place for the library's transport
 * options and the CLI's flags, which name the field (`baseUrl`, `--host`) around the same message.
 */
import { redactUrl } from './redact-url.js';

/**
 * What is wrong with a base URL, or undefined when it is a plain `http(s)://host[:port][/path]`. Credentials
 * in it are refused (never sent nor printed: a key goes separately, as a Bearer token); so is a value without
 * a scheme (`127.0.0.1:8080`), with the fix, rather than a guess: guessing http:// for a server the user
 * believed was https:// would send the key in clear. Messages show the URL redacted.
 */
export function baseUrlProblem(value: string): string | undefined {
  const text = value.trim();
  // Shown only redacted: a malformed URL may still hold a password.
  const shown = JSON.stringify(redactUrl(text));
  if (text === '') return 'is empty: give the server base URL, e.g. http://127.0.0.1:8080';
  // A URL parser silently drops tabs and line breaks inside a URL; a space is never part of a host.
  if (/[\p{Cc}\s]/u.test(text)) return `${shown} contains a space or a control character`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  // `localhost:8080` would parse as a URL with the scheme `localhost:`, so a port-like tail means no scheme.
  if (!scheme || /^[^:]*:\d+(\/.*)?$/.test(text))
    return `${shown} has no scheme: write http://${redactUrl(text)} (or https:// for a server behind TLS)`;
  if (!/^https?$/i.test(scheme[1]!)) return `${shown} must be an http:// or https:// URL, not ${scheme[1]}:`;
  if (!/^https?:\/\//i.test(text)) return `${shown} must start with ${scheme[1]!.toLowerCase()}:// (two slashes)`;
  const authority = text.slice(scheme[0].length + 2).split(/[/?#]/, 1)[0]!;
  if (authority.includes('@'))
    return `${shown} holds credentials (user:password@), which swapbench neither sends nor prints: give the key separately (--api-key, or apiKey in the library), sent as a Bearer token`;
  if (authority === '') return `${shown} has no host, e.g. ${scheme[1]}://127.0.0.1:8080`;
  const port = /:(\d*)$/.exec(authority.replace(/^\[[^\]]*\]/, ''))?.[1];
  if (port !== undefined && port !== '' && (Number(port) < 1 || Number(port) > 65535)) return `${shown} has port ${port}, outside 1–65535`;
  if (authority.startsWith('[') && !authority.includes(']')) return `${shown} opens an IPv6 address with [ but never closes it with ]`;
  if (!URL.canParse(text)) return `${shown} is not a valid URL`;
  const url = new URL(text);
  if (url.search || url.hash) return `${shown} has a query (?…) or fragment (#…), which swapbench would drop: give the base URL alone`;
  return undefined;
}

/**
 * What is wrong with an API key, or undefined: it is sent as `Authorization: Bearer <key>`, so it must be
 * printable ASCII without spaces. The key itself is never in the message; the position of the first bad
 * character is.
 */
export function apiKeyProblem(key: string): string | undefined {
  if (/^bearer\s/i.test(key)) return 'starts with "Bearer ": give the key alone, swapbench adds "Bearer " itself';
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    const where = `(character ${i + 1} of ${key.length})`;
    if (code === 0x0a || code === 0x0d)
      return `contains a line break ${where}: an HTTP header cannot carry it (a key read from a file often ends with one)`;
    if (code < 0x20 || code === 0x7f) return `contains a control character ${where}: an HTTP header cannot carry it`;
    if (code === 0x20) return `contains a space ${where}: a Bearer token has none`;
    if (code > 0x7e) return `contains a non-ASCII character ${where}: a Bearer token is ASCII`;
  }
  return undefined;
}
