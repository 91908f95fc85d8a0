/**
 * `@swapbench/core/errors`: the error classes and codes alone, with no other dependency, so a front-end
 * (the CLI's exit-code map) can load them without the engine, zod or undici.
 */
export { ERROR_CODES, type ErrorCode, type SampleErrorCode } from './codes.js';
export {
  ClientLimitError,
  ConfigError,
  ConnectionResetError,
  CorruptRecordError,
  DeadlineExceededError,
  errorCode,
  HostBusyError,
  HostUnreachableError,
  HttpStatusError,
  LeaseHeldError,
  ModelNotFoundError,
  RequestTimeoutError,
  RunExistsError,
  RunFailedError,
  RunNotFoundError,
  SchemaVersionError,
  ServerLoadingError,
  StoreClosedError,
  StoreUnavailableError,
  StreamProtocolError,
  SwapbenchError,
  UnsupportedError,
  type ConfigIssue,
} from './errors.js';
