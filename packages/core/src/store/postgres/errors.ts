/** Postgres and network failures as StoreUnavailableErrors that name the server (credentials redacted). */
import { StoreUnavailableError, SwapbenchError } from '../../errors/errors.js';
import { redactUrlsIn } from '../../util/redact-url.js';

/** A database or connection failure as a StoreUnavailableError naming the store; other errors unchanged. */
export function storeError(name: string, err: unknown): unknown {
  if (SwapbenchError.is(err) || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  // SQLSTATE (5 characters) from the server, or a Node error: system (ECONNREFUSED, ENOTFOUND, ...) or TLS
  // (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, ...).
  const fromServer = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const fromNetwork = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code);
  const fromClient =
    /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|does not support SSL|client password must be a string/i.test(
      err.message,
    );
  if (!fromServer && !fromNetwork && !fromClient) return err;
  return new StoreUnavailableError(name, problem(typeof code === 'string' ? code : '', redactUrlsIn(err.message)), { cause: err });
}

/** What went wrong and what to do, by SQLSTATE class or system error. */
function problem(code: string, message: string): string {
  if (code === 'ECONNREFUSED') return `nothing accepts connections there (${message}); is the server running and the port right?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name does not resolve (${message})`;
  // pg's words when the server asks for a password and none was given anywhere.
  if (/client password must be a string/i.test(message))
    return 'the server asks for a password and none was given; put it in the URI, in PGPASSWORD or in ~/.pgpass';
  if (code === '28P01' || code === '28000') return `the server refused the login (${message}); check the user and password`;
  if (code === '3D000') return `${message}; create it first (createdb) or name another`;
  if (code === '42501') return `permission denied (${message}); the user needs CREATE on the database or schema`;
  if (code === '57P01' || code === '57P02' || code === '57P03') return `the server is shutting down or starting (${message}); try again`;
  if (code.startsWith('53')) return `the server is out of resources (${message})`;
  if (/CERT|TLS|SSL/.test(code) || /\bSSL\b|certificate/i.test(message))
    return `the TLS connection failed (${message}); check sslmode and the server's certificate`;
  if (code.startsWith('08') || /^E[A-Z]+$/.test(code) || code === '')
    return `the connection failed (${message}); check that the server is reachable`;
  return `Postgres error ${code}: ${message}`;
}
