/**
 * The mapping from what Node and undici throw to swapbench's codes, one row per case, including those a
 * loopback test cannot produce (a full file-descriptor table, an expired certificate, a failed DNS name
 * behind an AggregateError). Pure: errors in, errors out.
 */
import { describe, expect, it } from 'vitest';
import { errorCode, type SampleErrorCode } from '../../src/errors/index.js';
import { mapRequestError, type RequestPhase } from '../../src/transport/http/map-error.js';

const origin = 'http://10.0.0.7:8080';
const map = (err: unknown, phase: RequestPhase = 'headers', signal?: AbortSignal) =>
  mapRequestError(err, { signal, phase, origin, headersTimeoutMs: 1000, bodyTimeoutMs: 2000 });

/** A Node-style network error. */
const netError = (code: string, message = `connect ${code} 10.0.0.7:8080`) => Object.assign(new Error(message), { code });

describe('mapRequestError', () => {
  const rows: [string, unknown, RequestPhase, SampleErrorCode][] = [
    ['connection refused', netError('ECONNREFUSED'), 'headers', 'HOST_UNREACHABLE'],
    ['DNS: no such name', netError('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), 'headers', 'HOST_UNREACHABLE'],
    ['DNS: temporary failure', netError('EAI_AGAIN'), 'headers', 'HOST_UNREACHABLE'],
    ['no route to host', netError('EHOSTUNREACH'), 'headers', 'HOST_UNREACHABLE'],
    ['network unreachable', netError('ENETUNREACH'), 'headers', 'HOST_UNREACHABLE'],
    ['undici connect timeout', netError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), 'headers', 'HOST_UNREACHABLE'],
    [
      'every address of a name refused (AggregateError)',
      new AggregateError([netError('ECONNREFUSED'), netError('ECONNREFUSED')], 'connect failed'),
      'headers',
      'HOST_UNREACHABLE',
    ],
    ['reset before the answer', netError('ECONNRESET', 'read ECONNRESET'), 'headers', 'CONNECTION_RESET'],
    ['closed before the answer', netError('UND_ERR_SOCKET', 'other side closed'), 'headers', 'CONNECTION_RESET'],
    ['broken pipe before the answer', netError('EPIPE', 'write EPIPE'), 'headers', 'CONNECTION_RESET'],
    ['reset mid-body', netError('ECONNRESET'), 'body', 'STREAM_PROTOCOL'],
    ['closed mid-body', netError('UND_ERR_SOCKET', 'other side closed'), 'body', 'STREAM_PROTOCOL'],
    ['too many open files', netError('EMFILE', 'connect EMFILE'), 'headers', 'CLIENT_LIMIT'],
    ['file table full', netError('ENFILE'), 'headers', 'CLIENT_LIMIT'],
    [
      'plain HTTP server on an https:// URL',
      netError('ERR_SSL_WRONG_VERSION_NUMBER', 'error:0A00010B:SSL routines'),
      'headers',
      'HOST_UNREACHABLE',
    ],
    ['self-signed certificate', netError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'headers', 'HOST_UNREACHABLE'],
    ['expired certificate', netError('CERT_HAS_EXPIRED', 'certificate has expired'), 'headers', 'HOST_UNREACHABLE'],
    [
      'certificate for another name',
      netError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      'headers',
      'HOST_UNREACHABLE',
    ],
    ['unknown CA', netError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'headers', 'HOST_UNREACHABLE'],
    ['headers timeout', netError('UND_ERR_HEADERS_TIMEOUT'), 'headers', 'REQUEST_TIMEOUT'],
    ['body timeout', netError('UND_ERR_BODY_TIMEOUT'), 'body', 'REQUEST_TIMEOUT'],
    [
      'not HTTP',
      Object.assign(new Error('Expected HTTP/'), { name: 'HTTPParserError', code: 'HPE_INVALID_CONSTANT' }),
      'headers',
      'STREAM_PROTOCOL',
    ],
    ['a bug', new TypeError('x is not a function'), 'headers', 'UNKNOWN'],
  ];
  for (const [name, err, phase, code] of rows) {
    it(`${name} (${phase}) → ${code}`, () => {
      expect(errorCode(map(err, phase))).toBe(code);
    });
  }

  it('CLIENT_LIMIT says what ran out and what to change', () => {
    const { message } = map(netError('EMFILE')) as Error;
    expect(message).toContain('EMFILE');
    expect(message).toContain('ulimit -n');
    expect(message).toContain('lower the concurrency');
  });

  it('a connect timeout over https (a plain-HTTP server never answers the TLS hello) hints at http://', () => {
    const timeout = netError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error');
    const https = mapRequestError(timeout, {
      signal: undefined,
      phase: 'headers',
      origin: 'https://10.0.0.7:8080',
      headersTimeoutMs: 1,
      bodyTimeoutMs: 1,
    });
    expect(errorCode(https)).toBe('HOST_UNREACHABLE');
    expect((https as Error).message).toMatch(/TLS handshake\) timed out: if the server has no TLS, use http:\/\//);
    expect((map(timeout) as Error).message).not.toMatch(/TLS/);
  });

  it('TLS failures are said in words, with a hint where there is one; the original stays the cause of the cause', () => {
    const original = netError('ERR_SSL_WRONG_VERSION_NUMBER', '803C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number');
    const mapped = map(original) as Error;
    expect(mapped.message).toBe(
      `cannot reach ${origin}: the TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER): a server without TLS needs http://`,
    );
    expect((mapped.cause as Error).cause).toBe(original);
    expect((map(netError('DEPTH_ZERO_SELF_SIGNED_CERT')) as Error).message).toContain(
      'is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT); NODE_EXTRA_CA_CERTS',
    );
    expect((map(netError('CERT_HAS_EXPIRED')) as Error).message).toContain('has expired (CERT_HAS_EXPIRED)');
  });

  it('timeouts name their phase and the configured time', () => {
    expect(map(netError('UND_ERR_HEADERS_TIMEOUT'))).toMatchObject({ phase: 'headers', timeoutMs: 1000 });
    expect(map(netError('UND_ERR_BODY_TIMEOUT'), 'body')).toMatchObject({ phase: 'body', timeoutMs: 2000 });
  });

  it("an aborted signal wins: the error is the signal's reason, unchanged", () => {
    const reason = new Error('stop');
    expect(map(netError('ECONNRESET'), 'headers', AbortSignal.abort(reason))).toBe(reason);
  });
});
