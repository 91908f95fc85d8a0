/**
 * What the network error codes Node and undici give mean for a benchmark: nobody answers at the address,
 * one connection was cut, the TLS handshake failed, or this machine ran out of file descriptors. Pure
 * tables and words; `map-error.ts` turns them into error classes.
 */

/** Nothing answers at the address: refused, no such name, no route, or no connection in time. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** One connection was reset or closed by the other side: the host was there, this exchange was cut. */
export const CUT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'UND_ERR_SOCKET']);

/** This process ran out of file descriptors (a socket is one): the fix is on this machine, not the server. */
export const CLIENT_LIMIT_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE']);

/** A certificate this machine does not trust: trusting its CA is the fix. */
const UNTRUSTED = 'is not signed by a CA this machine trusts';

/** Certificate checks Node reports by OpenSSL's verify-error names, and what each means to the user. */
const CERT_PROBLEMS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_UNTRUSTED: UNTRUSTED,
  CERT_REJECTED: 'is rejected',
  CERT_SIGNATURE_FAILURE: 'has an invalid signature',
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: "is not valid yet (check this machine's clock)",
  CERT_REVOKED: 'has been revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'is not issued for this host name',
  HOSTNAME_MISMATCH: 'is not issued for this host name',
};

/** OpenSSL's errors when the other side does not speak TLS at all (an http:// server on that port). */
const PLAIN_HTTP_ANSWER = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/**
 * The TLS failure behind `code`, in words, or undefined when it is not one. OpenSSL's own text
 * (`0A00010B:SSL routines:…`) says nothing to a user; the code and a hint do.
 */
export function describeTlsFailure(code: string, message: string): string | undefined {
  const cert = CERT_PROBLEMS[code];
  if (cert !== undefined) {
    const fix = cert === UNTRUSTED || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? '; NODE_EXTRA_CA_CERTS=<ca.pem> trusts its CA' : '';
    return `the server's TLS certificate ${cert} (${code})${fix}`;
  }
  if (PLAIN_HTTP_ANSWER.has(code)) return `the TLS handshake failed (${code}): a server without TLS needs http://`;
  // EPROTO is how older OpenSSL builds report a handshake that went wrong; only with an SSL message is it TLS.
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || (code === 'EPROTO' && /SSL|TLS/.test(message)))
    return `the TLS handshake failed (${code})`;
  return undefined;
}

/** The message of a ClientLimitError: what ran out, and what to change. */
export function clientLimitMessage(code: string, origin: string): string {
  const what = code === 'ENFILE' ? 'the system ran out of file descriptors' : 'this process ran out of file descriptors';
  return (
    `${what} (${code}) while talking to ${origin}: each connection needs one. ` +
    'Raise the limit (`ulimit -n 65536` in the shell that starts swapbench) or lower the concurrency.'
  );
}
