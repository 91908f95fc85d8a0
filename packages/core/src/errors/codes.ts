/**
 * Every error code swapbench gives, in one union. Each code has one error class (`errors.ts`); the CLI maps
 * each to an exit code and the HTTP plugin to a status, both checked against this union at compile time.
 */
export const ERROR_CODES = [
  /** A suite file, flag or request body is invalid. */
  'CONFIG_INVALID',
  /** The server could not be reached: connection refused, DNS failure, no route. */
  'HOST_UNREACHABLE',
  /** One connection was reset or closed before its answer while the server is reachable (answers others). */
  'CONNECTION_RESET',
  /** The client ran out of a resource of its own (file descriptors: EMFILE/ENFILE): raise `ulimit -n`. */
  'CLIENT_LIMIT',
  /** The server answered with a non-2xx status. */
  'HTTP_STATUS',
  /** The server does not know the model. */
  'MODEL_NOT_FOUND',
  /** The server is still loading its model. */
  'SERVER_LOADING',
  /** The stream broke the protocol. */
  'STREAM_PROTOCOL',
  /** A request took longer than allowed. */
  'REQUEST_TIMEOUT',
  /** A call into a plug-in (store, transport) did not settle in time. */
  'DEADLINE_EXCEEDED',
  /** The server cannot do what was asked (no tokenizer, cannot unload, ...). */
  'UNSUPPORTED',
  /** Someone else is using the host. */
  'HOST_BUSY',
  /** Another benchmark holds the host's lease. */
  'LEASE_HELD',
  /** A stored record is of a schema this version does not know. */
  'SCHEMA_VERSION',
  /** A stored record cannot be read. */
  'CORRUPT_RECORD',
  /** The store was used after `close()`. */
  'STORE_CLOSED',
  /** The store cannot be opened as named: a path that is not writable, a file that is not a database, an unknown URI scheme. */
  'STORE_UNAVAILABLE',
  /** No run with that id is stored. */
  'RUN_NOT_FOUND',
  /** A run with that id is already stored. */
  'RUN_EXISTS',
  /** The run finished but every measured request failed. */
  'RUN_FAILED',
] as const;

/** A stable, machine-readable error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The code recorded with a failed sample: a SwapbenchError's own code, `CANCELLED` for a request cut by the
 * run's abort or shutdown, `ABORTED` for an abort that was not the run's, or `UNKNOWN` for anything else
 * thrown (a bug, or a library error not mapped yet).
 */
export type SampleErrorCode = ErrorCode | 'CANCELLED' | 'ABORTED' | 'UNKNOWN';
