import type { CellKey, CellServerCounters } from '../../result/types.js';
import type { ServerCounters } from '../../transport/transport.js';
import { errorMessage } from '../../util/error-message.js';
import type { RunContext } from '../run-context.js';
import { cellName } from './measure-cell.js';

/** How often the gauges are read while a cell runs: often enough to see a queue, rarely enough to cost nothing. */
export const COUNTER_PROBE_MS = 500;

/** A cell's counter watch: `stop` reads the counters once more and returns what the cell's result keeps. */
export interface CounterWatch {
  stop(): Promise<{ serverCounters?: CellServerCounters }>;
}

const NONE: CounterWatch = { stop: async () => ({}) };

/**
 * Read the server's counters before a cell, sample its gauges while the load runs, and read them again
 * after: the cell then records what the server did (tokens evaluated and generated, its queue). A transport
 * without `serverCounters`, or a server that exports none, costs one call per model and records nothing.
 */
export async function watchServerCounters(ctx: RunContext, cell: CellKey): Promise<CounterWatch> {
  const read = ctx.transport.serverCounters?.bind(ctx.transport);
  if (!read) return NONE;
  const ask = () => ctx.ask('serverCounters', (o) => read(cell.model, o));
  const before = await ask().catch((err: unknown) => {
    if (ctx.signal.aborted) throw err;
    ctx.warn(`could not read the server's /metrics before cell ${cellName(cell)}: ${errorMessage(err)}`);
    return undefined;
  });
  if (!before) return NONE;
  let peakDeferred = before.requestsDeferred;
  let peakProcessing = before.requestsProcessing;
  const note = (c: ServerCounters | undefined) => {
    if (c?.requestsDeferred !== undefined) peakDeferred = Math.max(peakDeferred ?? 0, c.requestsDeferred);
    if (c?.requestsProcessing !== undefined) peakProcessing = Math.max(peakProcessing ?? 0, c.requestsProcessing);
  };
  let pending: Promise<void> | undefined;
  const timer = setInterval(() => {
    // One probe at a time: a slow /metrics must not pile requests up on a busy server.
    pending ??= ask()
      .then(note, () => {})
      .finally(() => {
        pending = undefined;
      });
  }, COUNTER_PROBE_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      const after = await ask().catch(() => undefined);
      if (!after) return {};
      note(after);
      const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : b - a);
      const counters: CellServerCounters = {
        before,
        after,
        peakRequestsDeferred: peakDeferred ?? null,
        peakRequestsProcessing: peakProcessing ?? null,
        promptTokens: diff(before.promptTokensTotal, after.promptTokensTotal),
        generatedTokens: diff(before.generatedTokensTotal, after.generatedTokensTotal),
      };
      if ((peakDeferred ?? 0) > 0)
        ctx.warn(
          `cell ${cellName(cell)}: the server deferred up to ${peakDeferred} request(s) waiting for a slot, so fewer ran at once than the cell's concurrency (their TTFT includes the wait)`,
        );
      return { serverCounters: counters };
    },
  };
}
