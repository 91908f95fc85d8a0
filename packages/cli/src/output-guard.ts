import { EXIT, type ExitCode } from './exit-codes.js';

/** What `guardOutput` saw go wrong with the process's output streams. */
export interface OutputGuard {
  /** The exit code to use: the run's, or `EXIT.output` when the report could not be written for a reason other than a closed pipe. */
  exitCode(runExitCode: ExitCode): ExitCode;
}

// The reader went away: `swapbench demo --json | head -1`, `| true`, or a terminal closed (EIO after SIGHUP).
// Nothing more can reach it, and nothing is lost that the user still wants: end quietly.
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/**
 * Listen for write errors on stdout and stderr, so a closed pipe never crashes the CLI with an uncaught
 * `write EPIPE` and a stack trace: the run goes on and exits with its own code. Any other failure to write
 * the report (a full disk) is said on stderr and turns a successful exit into `EXIT.output` (74), so no report is lost silently.
 */
export function guardOutput(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): OutputGuard {
  let lost: Error | undefined;
  const quiet = (stream: NodeJS.WriteStream, err: NodeJS.ErrnoException) =>
    READER_GONE.has(err.code ?? '') || (err.code === 'EIO' && stream.isTTY === true);
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (!quiet(stdout, err)) lost ??= err;
  });
  stderr.on('error', () => {
    // Nowhere left to say anything: progress and messages are lost, the exit code still tells.
  });
  return {
    exitCode(runExitCode) {
      if (!lost) return runExitCode;
      if (!stderr.destroyed) stderr.write(`swapbench: could not write the report to stdout: ${lost.message}\n`);
      return runExitCode === 0 ? EXIT.output : runExitCode;
    },
  };
}
