/** Exit codes of the swapbench CLI. The only place error codes map to exit codes. */
export const EXIT = {
  ok: 0,
  /** Something unexpected (a bug): the message says what. */
  internal: 1,
  /** Bad usage: unknown flag, invalid suite file or flag value. */
  usage: 2,
  /** The host is busy or leased by someone else. */
  hostBusy: 3,
  /** The run could not measure: every request failed, or the server is unreachable. */
  runFailed: 4,
  /** Stopped by Ctrl-C / SIGTERM; what was measured is still printed. */
  cancelled: 130,
} as const;

const BY_CODE: Record<string, number> = {
  CONFIG_INVALID: EXIT.usage,
  HOST_BUSY: EXIT.hostBusy,
  LEASE_HELD: EXIT.hostBusy,
  RUN_FAILED: EXIT.runFailed,
  HOST_UNREACHABLE: EXIT.runFailed,
  MODEL_NOT_FOUND: EXIT.runFailed,
  SERVER_LOADING: EXIT.runFailed,
  HTTP_STATUS: EXIT.runFailed,
  STREAM_PROTOCOL: EXIT.runFailed,
  REQUEST_TIMEOUT: EXIT.runFailed,
};

/** Exit code for a SwapbenchError code. */
export function exitCodeFor(code: string | undefined): number {
  return (code === undefined ? undefined : BY_CODE[code]) ?? EXIT.internal;
}
