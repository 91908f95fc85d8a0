import type { CellKey, CellResult } from '../../result/types.js';
import { createCellAccumulator } from '../cell-accumulator.js';
import { type LoopDelay, watchEventLoop } from '../client-health.js';
import { arrivalSchedule } from '../load/arrivals.js';
import { runOpenLoop, type OpenLoopPlan } from '../load/open-loop.js';
import { pickPrompt } from '../load/prompt-set.js';
import { createPromptSizer } from '../load/prompt-sizes.js';
import type { RunContext } from '../run-context.js';
import { sendRequest } from '../send-request.js';
import { runSlidingWindow } from '../sliding-window.js';
import { openConnections, releaseConnections } from './connections.js';
import { primeCache } from './prime-cache.js';
import { type CounterWatch, watchServerCounters } from './server-counters.js';
import type { PreparedModel } from './prepare-model.js';
import { prepareCellOnWorkers, type WorkerLoops, worstLoop } from '../workers/run-cell-on-workers.js';
import { workersForCell } from '../workers/worker-count.js';
import type { RemoteCellOutcome } from '../runners/remote-runners.js';

/** Runs already told that their open-loop cells do not go to the runners (once per run). */
const toldOpenLoopIsLocal = new WeakSet<RunContext>();

/** How a cell's requests are sent: C in flight (closed loop), or on a schedule (open loop). */
export type CellLoad = { kind: 'closed'; requests: number } | { kind: 'open'; plan: OpenLoopPlan };

/** `model pp512 tg128 c4`, or `model pp512 tg128 r2/s` for an open-loop cell: a cell as reports name it. */
export function cellName(c: CellKey): string {
  return `${c.model} pp${c.promptTokens} tg${c.maxTokens} ${c.rate === undefined ? `c${c.concurrency}` : `r${c.rate}/s`}`;
}

/**
 * Measure one cell: its load runs to its end, then the cell is aggregated, kept in the result and emitted.
 * Returns the aggregate, or undefined when an abort cut the cell before any request ended.
 * Samples go to the store as they finish (`ctx.record`); the cell keeps only their figures, so memory stays
 * flat however many requests a cell measures.
 */
export async function measureCell(
  ctx: RunContext,
  prepared: PreparedModel,
  cell: CellKey,
  load: CellLoad,
  position: { index: number; total: number },
): Promise<CellResult | undefined> {
  const { suite } = ctx;
  const { index, total } = position;
  ctx.emit({ type: 'cell-start', cell, index, total });
  const open = load.kind === 'open' ? load.plan : undefined;
  const accumulator = createCellAccumulator({
    slo: suite.slo,
    openLoop: open && { rate: open.rate, arrivals: open.arrivals, offeredRps: offeredRps(open) },
  });
  const plan = prepared.plans.get(cell.promptTokens)!;
  const sizer = createPromptSizer(ctx, prepared, cell);
  await primeCache(ctx, cell, plan);
  const planned = open ? open.count : load.kind === 'closed' ? load.requests : 0;
  // Issue #21: a closed-loop cell may run on worker threads, each with its own connections.
  // Issue #21 (runners): a closed-loop cell may go to remote runners instead, which open their own connections.
  const remote = !open && suite.runners > 0 && ctx.runners ? ctx.runners : undefined;
  if (open && suite.runners > 0 && !toldOpenLoopIsLocal.has(ctx)) {
    toldOpenLoopIsLocal.add(ctx);
    ctx.warn(`rate and sweep cells run from this process, not on the ${suite.runners} runners (only closed-loop cells are split)`);
  }
  const threads = open || remote ? 1 : workersForCell(suite.workers, Math.min(cell.concurrency, planned));
  if (threads === 1 && !remote) await openConnections(ctx, Math.min(cell.concurrency, planned));
  const onWorkers =
    threads > 1
      ? await prepareCellOnWorkers(ctx, { cell, planned, plan, sizer, workers: threads, add: (s, at) => accumulator.add(s, at) })
      : undefined;
  let workerLoops: WorkerLoops | undefined;
  let remoteOutcome: RemoteCellOutcome | undefined;
  const foreignWindow = await ctx.foreign.cellStart();
  const counters = await watchServerCounters(ctx, cell);
  const loop = watchEventLoop();
  let loopDelay: LoopDelay;
  let counted: ReturnType<CounterWatch['stop']>;
  const t0 = ctx.clock();
  const sendOne = async (i: number, scheduledAt?: number): Promise<void> => {
    const size = sizer?.(i);
    const entry = ctx.promptSet && pickPrompt(ctx.promptSet, suite.prompts!.order, suite.seed, i);
    const sample = await sendRequest(ctx, {
      phase: 'measured',
      cell,
      plan: size?.plan ?? plan,
      ...(scheduledAt === undefined ? {} : { scheduledAt }),
      ...(size ? { promptTokens: size.promptTokens } : {}),
      ...(entry ? { text: entry.prompt, maxTokens: entry.maxTokens } : {}),
    });
    if (sample) accumulator.add(sample, ctx.clock());
  };
  try {
    if (open) await runOpenLoop(open, ctx.clock, sendOne, ctx.stopSignal);
    else if (onWorkers) workerLoops = await onWorkers.run();
    else if (remote) remoteOutcome = await remote.runCell(ctx, { cell, planned, plan, sizer, add: (s) => accumulator.add(s) });
    else await runSlidingWindow(planned, cell.concurrency, (i) => sendOne(i), ctx.stopSignal);
  } finally {
    // Never leave a monitor running: its timer would fire for the life of the process.
    loopDelay = loop.stop();
    counted = counters.stop();
    releaseConnections(ctx);
  }
  // Remote: from the runners' first send to their last answer, not this process's wait for them (issue #21).
  const wallMs = remoteOutcome?.wallMs || ctx.clock() - t0;
  // A cell cut short by an abort before any request ended has nothing to report.
  if (accumulator.n === 0 && ctx.stopSignal.aborted) return undefined;
  const foreign = ctx.foreign.cellEnd(foreignWindow);
  // Issue #21 (runners): a remote cell's client is its runners (the worst one's loop).
  const clientLoop = remoteOutcome ? worstLoop(remoteOutcome.loops) : (workerLoops?.worst ?? loopDelay);
  const aggregate = { ...accumulator.result(cell, wallMs, planned, clientLoop), ...foreign, ...(await counted) };
  if (workerLoops) Object.assign(aggregate.client, { workers: threads, workerLoopDelayP99Ms: workerLoops.p99Ms });
  if (foreign.polluted)
    ctx.warn(
      `cell ${cellName(cell)} is polluted: up to ${foreign.concurrentForeignRequests?.peak} foreign request(s) were in flight on the host`,
    );
  if (aggregate.partial) {
    // A worker or runner that stopped leaves a cell partial while the run goes on; its own note says why.
    const why = ctx.stopSignal.aborted
      ? 'before the run stopped'
      : remoteOutcome || workerLoops
        ? '(a worker or runner stopped; see its note)'
        : '';
    ctx.warn(`cell ${cellName(cell)} is partial: ${aggregate.n} of ${aggregate.planned} requests measured${why ? ` ${why}` : ''}`);
  }
  ctx.result.cells.push(aggregate);
  // A cell is done once its samples are stored: whoever hears of it can read them.
  await ctx.flushSamples();
  ctx.emit({ type: 'cell-done', cell: aggregate, index, total });
  return aggregate;
}

/** The rate an open-loop plan's schedule really offers: (requests − 1) over its first-to-last arrival span. */
function offeredRps(plan: OpenLoopPlan): number | null {
  if (plan.count < 2) return null;
  const schedule = arrivalSchedule(plan.count, plan.rate, plan.arrivals, plan.seed);
  const span = schedule[plan.count - 1]!;
  return span > 0 ? ((plan.count - 1) * 1000) / span : null;
}
