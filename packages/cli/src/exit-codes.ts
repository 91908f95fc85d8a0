import type { RunResult } from '@swapbench/core';
import type { ErrorCode, SampleErrorCode } from '@swapbench/core/errors';

/** Exit codes of the swapbench CLI, as the README documents them. The only place error codes map to exit codes. */
export const EXIT = {
  ok: 0,
  /**
   * A comparison found a regression (`compare`, `run --fail-on-regression`): 1, as CI tools read a failed
   * check.
   */
  regression: 1,
  /**
   * Something unexpected (a bug): the message says what. 70 (sysexits' EX_SOFTWARE), not 1: a CI job that
   * gates on regressions must not read a crash as "slower".
   */
  internal: 70,
  /** The report could not be written (a full disk; not a reader that closed the pipe): sysexits' EX_IOERR. */
  output: 74,
  /** Bad usage: unknown flag, invalid suite file or flag value, a run or store that cannot be used as named. */
  usage: 2,
  /** The host is busy or leased by someone else. */
  hostBusy: 3,
  /** The run could not measure: every request failed, or the server is unreachable. */
  runFailed: 4,
  /** Stopped by Ctrl-C / SIGTERM; what was measured is still printed. */
  cancelled: 130,
} as const;

/** One of the exit codes above. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code of each error code. `satisfies` makes a code added to `ErrorCode` without an exit code here
 * fail to compile.
 */
export const EXIT_CODE_BY_ERROR = {
  CONFIG_INVALID: EXIT.usage,
  HOST_BUSY: EXIT.hostBusy,
  LEASE_HELD: EXIT.hostBusy,
  RUN_FAILED: EXIT.runFailed,
  HOST_UNREACHABLE: EXIT.runFailed,
  CONNECTION_RESET: EXIT.runFailed,
  // The client machine's own limit (open files): nothing could be measured as asked; the message says what to raise.
  CLIENT_LIMIT: EXIT.runFailed,
  MODEL_NOT_FOUND: EXIT.runFailed,
  SERVER_LOADING: EXIT.runFailed,
  HTTP_STATUS: EXIT.runFailed,
  STREAM_PROTOCOL: EXIT.runFailed,
  REQUEST_TIMEOUT: EXIT.runFailed,
  // A store or transport call that never settled: the run could not go on.
  DEADLINE_EXCEEDED: EXIT.runFailed,
  // The server lacks what the suite needs (a tokenizer, unload): nothing could be measured as asked.
  UNSUPPORTED: EXIT.runFailed,
  // The user named a run that is not stored, or asked to store one under an id already taken: like a
  // missing file, the fix is in the command line, so bad usage.
  RUN_NOT_FOUND: EXIT.usage,
  RUN_EXISTS: EXIT.usage,
  // A store written by another version, or a record that cannot be read (hand edit, full disk, a crash
  // mid-write): bad input like an invalid suite file. The message names the file (and line); no bug report helps.
  SCHEMA_VERSION: EXIT.usage,
  CORRUPT_RECORD: EXIT.usage,
  // Only our own code can use a store after closing it: a bug.
  STORE_CLOSED: EXIT.internal,
  // The store named (--store, SWAPBENCH_STORE) cannot be opened: the fix is in the command line or the disk.
  STORE_UNAVAILABLE: EXIT.usage,
} as const satisfies Record<ErrorCode, ExitCode>;

/** Exit codes of the codes a failed sample (or run) may carry besides the error codes. */
const EXIT_CODE_BY_SAMPLE_CODE = {
  // A request cut by the run's own stop: the run as a whole ends `cancelled` (130) before this is consulted.
  CANCELLED: EXIT.cancelled,
  // An abort that was not the run's (the run's own gives `cancelled`): the requests ended before measuring.
  ABORTED: EXIT.runFailed,
  // Something was thrown that no SwapbenchError describes: a bug, or a library error we do not map yet.
  UNKNOWN: EXIT.internal,
} as const satisfies Record<Exclude<SampleErrorCode, ErrorCode>, ExitCode>;

const BY_CODE: Readonly<Record<SampleErrorCode, ExitCode>> = { ...EXIT_CODE_BY_ERROR, ...EXIT_CODE_BY_SAMPLE_CODE };

/** Exit code for an error's code; a missing code, or one this version does not know, is a bug (`internal`). */
export function exitCodeFor(code: SampleErrorCode | undefined): ExitCode {
  // `??`: a code from another copy of core (or a stored result) may be one this map has never seen.
  return (code === undefined ? undefined : BY_CODE[code]) ?? EXIT.internal;
}

/** Exit code of a run `runBenchSuite` returned: 0 completed, 130 cancelled, else its error's exit code. */
export function exitCodeForRun(run: Pick<RunResult, 'status' | 'error'>): ExitCode {
  switch (run.status) {
    case 'completed':
      return EXIT.ok;
    case 'cancelled':
      return EXIT.cancelled;
    case 'failed':
      return exitCodeFor(run.error?.code ?? 'RUN_FAILED');
    default:
      // `running` or `interrupted` after the engine returned: a bug.
      return EXIT.internal;
  }
}
