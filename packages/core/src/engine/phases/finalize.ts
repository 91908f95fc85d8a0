import { errorCode, SwapbenchError } from '../../errors/errors.js';
import type { ClientHealth, RunResult, SampleFlag } from '../../result/types.js';
import { errorMessage } from '../../util/error-message.js';
import type { RunContext } from '../run-context.js';

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
  if (ctx.signal.aborted) {
    result.status = 'cancelled';
    ctx.warn('run cancelled; results cover what was measured before it stopped');
  } else if (result.status === 'running') {
    settleStatus(result);
  }
  warnAboutFlags(ctx);
  if (health.clientSaturated) {
    ctx.warn(
      `client saturated: its event loop lagged ${health.eventLoopDelayP99Ms?.toFixed(1)} ms at p99, so timings are late by up to that much`,
    );
  }
  await ctx.flushSamples();
  await ctx.store.runs.finish(result).catch((err: unknown) => ctx.warn(`could not store the result: ${errorMessage(err)}`));
  ctx.emit({ type: 'run-done', result });
  return result;
}

/** A run that went through is `completed`, unless every measured request failed. */
function settleStatus(result: RunResult): void {
  const measured = result.cells.reduce((a, c) => a + c.n, 0);
  const failed = result.cells.reduce((a, c) => a + c.errors, 0);
  result.status = measured > 0 && failed === measured ? 'failed' : 'completed';
  if (result.status === 'failed') {
    const codes = new Set(result.cells.flatMap((c) => Object.keys(c.errorCodes)));
    result.error = { code: 'RUN_FAILED', message: `all ${measured} measured requests failed (${[...codes].join(', ')})` };
  }
}

/** One warning per flag raised in the run, with how many samples carried it. */
function warnAboutFlags(ctx: RunContext): void {
  const totals: Partial<Record<SampleFlag, number>> = {};
  for (const cell of ctx.result.cells) {
    for (const [flag, n] of Object.entries(cell.flags) as [SampleFlag, number][]) totals[flag] = (totals[flag] ?? 0) + n;
  }
  for (const [flag, n] of Object.entries(totals) as [SampleFlag, number][]) if (n) ctx.warn(`${n} sample(s) ${FLAG_NOTES[flag]} [${flag}]`);
}
