import type { RunResult, SuiteInput, Transport } from '@swapbench/core';
import type { CliContext } from './context.js';
import { exitCodeForRun, type ExitCode } from './exit-codes.js';
import { createProgress } from './output/progress.js';
import { redactUrlsIn } from '@swapbench/core';

/** What `executeSuite` runs, against what, and how it reports. */
export interface ExecuteOptions {
  suite: SuiteInput;
  transport: Transport;
  /** Print the result object as JSON instead of the report. */
  json: boolean;
}

/**
 * Signals that stop a run the way Ctrl-C does. SIGHUP: the terminal closed (an ssh session dropped); the
 * report still goes wherever stdout leads (a file, a pipe), and the exit code is 130.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Run a suite, show progress on `ctx.stderr`, print the report (or JSON) on `ctx.stdout`, and return the exit
 * code. Ctrl-C, SIGTERM or SIGHUP stops the run: what was measured is still printed, and the exit code is 130.
 * A second signal is not caught: the process ends at once, as the user asked twice.
 */
export async function executeSuite(ctx: CliContext, { suite, transport, json }: ExecuteOptions): Promise<ExitCode> {
  const { runBenchSuite } = await import('@swapbench/core');
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted (${signal})`));
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  const progress = createProgress(ctx.stderr);
  let result: RunResult;
  try {
    result = await runBenchSuite(suite, { transport, signal: controller.signal, onEvent: progress.onEvent });
  } finally {
    progress.done();
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
    await transport.close();
  }
  if (json) {
    // Any URL in the result (the server's base URL, error messages) goes out without credentials.
    ctx.stdout.write(`${JSON.stringify(result, (_key, value) => (typeof value === 'string' ? redactUrlsIn(value) : value), 2)}\n`);
  } else {
    const { renderReport } = await import('./output/table.js');
    ctx.stdout.write(renderReport(result));
  }
  if (result.status === 'failed' && !json)
    ctx.stderr.write(`swapbench: run failed: ${redactUrlsIn(result.error?.message ?? 'unknown error')}\n`);
  return exitCodeForRun(result);
}
