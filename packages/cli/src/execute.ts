import type { RunResult, Store, SuiteInput, Transport } from '@swapbench/core';
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
  /** Where the run and its samples are kept as they are measured. */
  store: Store;
  /** The store's URI, for the line that says where the run went. */
  storeUri: string;
  /** The registered name of the host measured, stored with the run. */
  hostId?: string | undefined;
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
export async function executeSuite(
  ctx: CliContext,
  { suite, transport, json, store, storeUri, hostId }: ExecuteOptions,
): Promise<ExitCode> {
  const { runBenchSuite } = await import('@swapbench/core');
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted (${signal})`));
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  const progress = createProgress(ctx.stderr);
  let result: RunResult;
  try {
    result = await runBenchSuite(suite, {
      transport,
      store,
      signal: controller.signal,
      onEvent: progress.onEvent,
      ...(hostId === undefined ? {} : { hostId }),
    });
  } finally {
    progress.done();
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
    await transport.close();
  }
  if (json) {
    const { jsonText } = await import('./output/json.js');
    ctx.stdout.write(jsonText(result));
  } else {
    const { renderReport } = await import('./output/table.js');
    ctx.stdout.write(renderReport(result));
  }
  if (result.status === 'failed' && !json)
    ctx.stderr.write(`swapbench: run failed: ${redactUrlsIn(result.error?.message ?? 'unknown error')}\n`);
  ctx.stderr.write(`${await whereStored(store, storeUri, result)}\n`);
  return exitCodeForRun(result);
}

/**
 * The line that says where the run went. The engine goes on when the store fails mid-run (it warns), so
 * the run is read back: "stored" only when the store has it as it ended.
 */
async function whereStored(store: Store, storeUri: string, result: RunResult): Promise<string> {
  if (storeUri === 'memory:') return `run ${result.runId} not kept (--store memory:)`;
  const stored = await store.runs.get(result.runId).catch(() => undefined);
  if (stored?.status === result.status) return `run ${result.runId} stored in ${storeUri}`;
  return `swapbench: run ${result.runId} was not stored completely in ${storeUri} (see the warnings above)`;
}
