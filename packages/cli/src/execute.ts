import type { RunResult, SuiteInput, Transport } from '@swapbench/core';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { createProgress } from './output/progress.js';

export interface ExecuteOptions {
  suite: SuiteInput;
  transport: Transport;
  json: boolean;
}

/**
 * Run a suite, show progress on stderr, print the report (or JSON) on stdout, and return the exit code.
 * Ctrl-C stops the run: what was measured is still printed, and the exit code is 130.
 */
export async function executeSuite({ suite, transport, json }: ExecuteOptions): Promise<number> {
  const { runBenchSuite } = await import('@swapbench/core');
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = createProgress(process.stderr);
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
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { renderReport } = await import('./output/table.js');
    process.stdout.write(renderReport(result));
  }
  if (result.status === 'cancelled') return EXIT.cancelled;
  if (result.status === 'failed') {
    if (!json) process.stderr.write(`swapbench: run failed: ${result.error?.message ?? 'unknown error'}\n`);
    return exitCodeFor(result.error?.code === 'RUN_FAILED' ? 'RUN_FAILED' : result.error?.code);
  }
  return EXIT.ok;
}
