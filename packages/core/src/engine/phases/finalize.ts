import { errorCode, SwapbenchError } from '../../errors/errors.js';
import type { ClientHealth, RunResult, SampleFlag } from '../../result/types.js';
import { errorMessage } from '../../util/error-message.js';
import { FINAL_WRITE_AFTER_ABORT_MS, withDeadline } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import { cellName } from './cells.js';

const FLAG_NOTES: Record<SampleFlag, string> = {
  'warm-cache': 'reused cached prompt tokens although the suite busts the cache (prompt speed is flattered)',
  'length-mismatch': 'generated a different number of tokens than asked despite ignoreEos',
  'prompt-size-mismatch': 'evaluated a different prompt size than asked',
};

/** Record the error that stopped the run early. An abort is not an error: the run ends `cancelled`. */
export function recordRunError(ctx: RunContext, err: unknown): void {
  if (ctx.signal.aborted) return;
  ctx.result.status = 'failed';
  ctx.result.error = { code: errorCode(err), message: errorMessage(err) };
  // Not one of ours: a bug. The stack goes into the notes, so a bug report has it.
  if (!SwapbenchError.is(err)) ctx.warn(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

/**
 * The run's last phase, whatever happened before: its status, the notes on flags and client health,
 * every sample and the result stored, and `run-done` emitted.
 */
export async function finalize(ctx: RunContext, health: ClientHealth, startedAt: number): Promise<RunResult> {
  const { result } = ctx;
  result.client = health;
  result.durationMs = ctx.clock() - startedAt;
  result.finishedAt = new Date().toISOString();
  result.errors = ctx.errors();
  if (ctx.signal.aborted) {
    result.status = 'cancelled';
    ctx.warn('run cancelled; results cover what was measured before it stopped');
  } else if (ctx.haltReason && result.status === 'running') {
    result.status = 'failed';
    result.error = { code: ctx.haltReason.code, message: ctx.haltReason.message };
    ctx.warn(`run stopped early: ${ctx.haltReason.message}; results cover what was measured before it stopped`);
  } else if (result.status === 'running') {
    settleStatus(ctx);
  }
  warnAboutFlags(ctx);
  if (health.clientSaturated) {
    ctx.warn(
      `client saturated: its event loop lagged ${health.eventLoopDelayP99Ms?.toFixed(1)} ms at p99, so timings are late by up to that much`,
    );
  }
  // After an abort the caller is waiting: the last writes get a short deadline, so the run settles soon.
  const writeMs = ctx.signal.aborted ? FINAL_WRITE_AFTER_ABORT_MS : ctx.storeTimeoutMs;
  await withDeadline('store.runs.appendSamples', writeMs, undefined, () => ctx.flushSamples()).catch((err: unknown) =>
    ctx.warn(`could not store every sample: ${errorMessage(err)}`),
  );
  await ctx
    .storeCall('runs.finish', (o) => ctx.store.runs.finish(result, o), writeMs)
    .catch((err: unknown) => ctx.warn(`could not store the result: ${errorMessage(err)}`));
  ctx.emit({ type: 'run-done', result });
  return result;
}

/**
 * A run that went through is `completed`, unless more of its measured requests failed than the suite's
 * `maxErrorRate` allows (or all of them did): then it measured a broken server, and it is `failed`.
 */
function settleStatus(ctx: RunContext): void {
  const { result } = ctx;
  const measured = result.cells.reduce((a, c) => a + c.n, 0);
  const failed = result.cells.reduce((a, c) => a + c.errors, 0);
  const rate = measured > 0 ? failed / measured : 0;
  const tooMany = measured > 0 && (failed === measured || rate > ctx.suite.maxErrorRate);
  result.status = tooMany ? 'failed' : 'completed';
  if (!tooMany) return;
  const codes = new Set(result.cells.flatMap((c) => Object.keys(c.errorCodes)));
  const share = `${failed} of ${measured} measured requests failed (${(rate * 100).toFixed(1)}%, maxErrorRate ${(ctx.suite.maxErrorRate * 100).toFixed(1)}%)`;
  result.error = { code: 'RUN_FAILED', message: `${share}: ${[...codes].join(', ')}` };
  const cells = result.cells
    .filter((c) => c.errors > 0)
    .map((c) => `${cellName(c)} ${c.errors}/${c.n} (${Object.keys(c.errorCodes).join(', ')})`);
  ctx.warn(`run failed: ${share}; failing cells: ${cells.join('; ')}`);
}

/** One warning per flag raised in the run, with how many samples carried it. */
function warnAboutFlags(ctx: RunContext): void {
  const totals: Partial<Record<SampleFlag, number>> = {};
  for (const cell of ctx.result.cells) {
    for (const [flag, n] of Object.entries(cell.flags) as [SampleFlag, number][]) totals[flag] = (totals[flag] ?? 0) + n;
  }
  for (const [flag, n] of Object.entries(totals) as [SampleFlag, number][]) if (n) ctx.warn(`${n} sample(s) ${FLAG_NOTES[flag]} [${flag}]`);
}
