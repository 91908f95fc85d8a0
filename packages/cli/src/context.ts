import type { ExitCode } from './exit-codes.js';

/** A stream the CLI writes to: `process.stdout`, or any writable a test passes to `main()`. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/**
 * What a command gets from `main()`: where to write, and a place for its exit code. `main()` makes one per
 * call and resolves with its `exitCode`, so no command touches `process.exitCode` and the CLI runs in-process.
 */
export interface CliContext {
  /** The report, `--json`, help and version. */
  readonly stdout: OutputStream;
  /** Progress, warnings and error messages. */
  readonly stderr: OutputStream;
  /** The exit code so far; 0 until an action sets it. */
  exitCode: ExitCode;
}
