import { errorCode, SwapbenchError } from '../../errors/errors.js';
import type { CellResult, RunResult, SampleFlag } from '../../result/types.js';
import { errorMessage } from '../../util/error-message.js';
import { rollUpClientHealth } from '../client-health.js';
import { FINAL_WRITE_AFTER_ABORT_MS, withDeadline } from '../deadline.js';
import type { RunContext } from '../run-context.js';
import { cellName } from './cells.js';

const FLAG_NOTES: Record<SampleFlag, string> = {
  'warm-cache': 'reused cached prompt tokens although the suite busts the cache (prompt speed is flattered)',
  'length-mismatch': 'generated a different number of tokens than asked despite ignoreEos',
  'prompt-size-mismatch': 'evaluated a different prompt size than asked',
  'client-wait': 'waited in the client before being sent (the server saw less load than asked)',
  late: 'started late on their open-loop schedule (the in-flight cap was reached, or the client was busy)',
};

/** Saturated cells named in the note; the rest are counted. */
const SATURATED_CELLS_NAMED = 10;

/** Record the error that stopped the run early. An abort is not an error: the run ends `cancelled`. */
export function recordRunError(ctx: RunContext, err: unknown): void {
  if (ctx.signal.aborted) return;
  ctx.result.status = 'failed';
  ctx.result.error = { code: errorCode(err), message: errorMessage(err) };
  // Not one of ours: a bug. The stack goes into the notes, so a bug report has it.
  if (!SwapbenchError.is(err)) ctx.warn(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

/**
 * The run's last phase, whatever happened before: its status, the notes on flags and client health (the
 * roll-up of its cells'), every sample and the result stored, and `run-done` emitted.
 */
export async function finalize(ctx: RunContext, startedAt: number): Promise<RunResult> {
  const { result } = ctx;
  result.client = rollUpClientHealth(result.cells);
  result.durationMs = ctx.clock() - startedAt;
  result.finishedAt = new Date().toISOString();
  result.errors = ctx.errors();
  const foreign = await ctx.foreign.stop();
  result.concurrentForeignRequests = foreign.concurrentForeignRequests;
  // A foreign request seen between cells (a swap, a warmup) pollutes the run, not a cell.
  result.polluted = foreign.polluted || result.cells.some((c) => c.polluted === true);
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
  warnAboutSaturation(ctx);
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

/** One warning naming the cells in which the client was saturated, and why each was. */
function warnAboutSaturation(ctx: RunContext): void {
  const { cells } = ctx.result;
  const saturated = cells.filter((c) => c.client.saturated);
  if (saturated.length === 0) return;
  const named = saturated.slice(0, SATURATED_CELLS_NAMED).map((c) => `${cellName(c)} (${saturationReasons(c).join('; ')})`);
  const more = saturated.length - named.length;
  ctx.warn(
    `client saturated in ${saturated.length} of ${cells.length} cell(s), so their timings include client-side delay: ` +
      `${named.join(', ')}${more > 0 ? `, and ${more} more` : ''}`,
  );
}

/** Why a cell's client counts as saturated: its loop delay, its requests that waited in the client. */
function saturationReasons(cell: CellResult): string[] {
  const { client } = cell;
  const reasons: string[] = [];
  if (client.eventLoopDelayP99Ms !== null)
    reasons.push(`event-loop delay p99 ${client.eventLoopDelayP99Ms.toFixed(1)} ms, max ${client.eventLoopDelayMaxMs?.toFixed(1)} ms`);
  if (client.clientWaitRequests > 0) {
    const queue = client.queueP99Ms === null ? '' : `, queue p99 ${client.queueP99Ms.toFixed(1)} ms`;
    reasons.push(`${client.clientWaitRequests} of ${cell.n} requests waited in the client${queue}`);
  }
  return reasons;
}
