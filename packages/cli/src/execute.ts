import type { RunResult, SuiteInput, Transport } from '@swapbench/core';
import type { CliContext } from './context.js';
import { exitCodeForRun, type ExitCode } from './exit-codes.js';
import { createProgress } from './output/progress.js';

/** What `executeSuite` runs, against what, and how it reports. */
export interface ExecuteOptions {
  suite: SuiteInput;
  transport: Transport;
  /** Print the result object as JSON instead of the report. */
  json: boolean;
}

/**
 * Run a suite, show progress on `ctx.stderr`, print the report (or JSON) on `ctx.stdout`, and return the exit
 * code. Ctrl-C stops the run: what was measured is still printed, and the exit code is 130.
 */
export async function executeSuite(ctx: CliContext, { suite, transport, json }: ExecuteOptions): Promise<ExitCode> {
  const { runBenchSuite } = await import('@swapbench/core');
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = createProgress(ctx.stderr);
  let result: RunResult;
  try {
    result = await runBenchSuite(suite, { transport, signal: controller.signal, onEvent: progress.onEvent });
  } finally {
    progress.done();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await transport.close();
  }
  if (json) {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { renderReport } = await import('./output/table.js');
    ctx.stdout.write(renderReport(result));
  }
  if (result.status === 'failed' && !json) ctx.stderr.write(`swapbench: run failed: ${result.error?.message ?? 'unknown error'}\n`);
  return exitCodeForRun(result);
}
