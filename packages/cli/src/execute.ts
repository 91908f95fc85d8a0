import type { RunBenchSuiteOptions, RunResult, Store, SuiteInput, Transport } from '@swapbench/core';
import type { CliContext } from './context.js';
import { EXIT, exitCodeForRun, type ExitCode } from './exit-codes.js';
import { createProgress } from './output/progress.js';
import { STORE_CHECK_MS, within } from './within.js';
import type { ReportFormat } from './output/format.js';
import { redactUrlsIn } from '@swapbench/core';

/** What `executeSuite` runs, against what, and how it reports. */
export interface ExecuteOptions {
  suite: SuiteInput;
  transport: Transport;
  /** How the report is written: `--format` (json for `--json`), and `--out`. */
  format: ReportFormat;
  out?: string | undefined;
  /** Where the run and its samples are kept as they are measured. */
  store: Store;
  /** The store's URI, for the line that says where the run went. */
  storeUri: string;
  /** The registered name of the host measured, stored with the run. */
  hostId?: string | undefined;
  /** `--baseline`: compare the run with this baseline (`auto`, a baseline name or a run id) after it. */
  baseline?: string | undefined;
  /** `--fail-on-regression`: exit 1 when that comparison finds a regression. */
  failOnRegression?: boolean | undefined;
  /** Host access (`--wait`, `--takeover`): the lease is taken in `store`, so runs sharing it take turns. */
  access?: { waitMs: number; takeover: boolean } | undefined;
  /** Issue #21: what worker threads build their transports from (suite `workers`). */
  workerTransport?: RunBenchSuiteOptions['workerTransport'];
  /** Issue #21: remote runners for a suite with `runners` (`run --runners N`). */
  runners?: RunBenchSuiteOptions['runners'];
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
  { suite, transport, format, out, store, storeUri, hostId, baseline, failOnRegression, access, workerTransport, runners }: ExecuteOptions,
): Promise<ExitCode> {
  const { runBenchSuite, createHostAccess } = await import('@swapbench/core');
  const postRun = baseline === undefined ? undefined : await import('./compare/post-run.js');
  const baselineTarget = postRun && baseline !== undefined ? await postRun.resolveBaselineFlag(store, storeUri, baseline) : undefined;
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
      ...(workerTransport === undefined ? {} : { workerTransport }),
      ...(runners === undefined ? {} : { runners }), // issue #21
      hostAccess: createHostAccess({ leases: store.leases, activity: transport, ...access }),
    });
  } catch (err) {
    // Stopped while waiting for the host (--wait): nothing ran, nothing to print but that.
    if (!controller.signal.aborted) throw err;
    ctx.stderr.write('swapbench: stopped while waiting for the host; nothing was run\n');
    return EXIT.cancelled;
  } finally {
    progress.done();
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
    await transport.close();
  }
  const compared = postRun && baselineTarget ? await postRun.compareWithBaseline(store, baselineTarget, result) : undefined;
  const { emitReport, renderRun, reportWidth } = await import('./output/report-output.js');
  const comparison = compared ? compared.comparison : undefined;
  await emitReport(ctx, await renderRun(result, format, { width: reportWidth(ctx.stdout), comparison }), out);
  if (compared?.note) ctx.stderr.write(`swapbench: ${compared.note}\n`);
  if (result.status === 'failed' && format !== 'json')
    ctx.stderr.write(`swapbench: run failed: ${redactUrlsIn(result.error?.message ?? 'unknown error')}\n`);
  ctx.stderr.write(`${await whereStored(store, storeUri, result)}\n`);
  const exitCode = exitCodeForRun(result);
  if (exitCode === 0 && failOnRegression && compared?.comparison?.verdict === 'regression') {
    ctx.stderr.write(`swapbench: regression against baseline run ${compared.comparison.baseline.runId} (--fail-on-regression)\n`);
    const { EXIT_REGRESSION } = await import('./compare/exit.js');
    return EXIT_REGRESSION;
  }
  return exitCode;
}

/**
 * The line that says where the run went. The engine goes on when the store fails mid-run (it warns), so
 * the run is read back: "stored" only when the store has it as it ended.
 */
async function whereStored(store: Store, storeUri: string, result: RunResult): Promise<string> {
  if (storeUri === 'memory:') return `run ${result.runId} not kept (--store memory:)`;
  // A store that hangs (a frozen database server) must not keep a finished run's process alive.
  const stored = await within(STORE_CHECK_MS, store.runs.get(result.runId)).catch(() => undefined);
  if (stored?.status === result.status) return `run ${result.runId} stored in ${storeUri}`;
  return `swapbench: run ${result.runId} was not stored completely in ${storeUri} (see the warnings above)`;
}
