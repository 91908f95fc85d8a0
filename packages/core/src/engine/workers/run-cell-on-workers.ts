import { ConfigError } from '../../errors/errors.js';
import type { CellKey, Sample } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import { errorMessage } from '../../util/error-message.js';
import { type LoopDelay, NO_LOOP_READING, READINGS_FOR_P99, READINGS_TO_JUDGE } from '../client-health.js';
import type { PromptSizer } from '../load/prompt-sizes.js';
import type { PromptPlan } from '../prompts.js';
import type { RunContext } from '../run-context.js';
import { createWorkerPool, type EngineWorker, type WorkerPool } from './pool.js';
import type { ToWorker, WorkerTransportOptions } from './protocol.js';
import { lanesOf } from './worker-count.js';

/** A closed-loop cell to run on worker threads. */
export interface WorkerCell {
  cell: CellKey;
  /** Requests to measure; `min(concurrency, planned)` are in flight. */
  planned: number;
  plan: PromptPlan;
  sizer: PromptSizer | undefined;
  workers: number;
  /** Take a recorded sample, with when it ended on the run's clock. */
  add(sample: Sample, completedAt: number): void;
}

/** What the cell's client self-check reads: the worst worker's loop delay, and each worker's p99. */
export interface WorkerLoops {
  worst: LoopDelay;
  p99Ms: (number | null)[];
}

const pools = new WeakMap<RunContext, WorkerPool>();
let cellIds = 0;

/** `workers` other than 1 needs the options each thread builds its transport from: refused up front otherwise. */
export function checkWorkerOptions(suite: Suite, workerTransport: WorkerTransportOptions | undefined): void {
  if (suite.workers === 1 || workerTransport) return;
  throw new ConfigError([
    {
      path: 'workers',
      message: `is ${suite.workers}, but runBenchSuite was given no \`workerTransport\` (the transport options each worker thread builds its own transport from)`,
    },
  ]);
}

/** A cell whose threads are started and connected: `run()` sends its load. */
export interface PreparedWorkerCell {
  run(): Promise<WorkerLoops>;
}

/**
 * Get a closed-loop cell's threads ready before its clock starts: started (once per run) and each with its
 * lanes' connections open, so neither counts in the cell's wall time or its first requests. Then `run()`
 * runs the cell on them: each takes an even share of the cell's lanes, and every lane
 * takes the next request index from a counter they share, so the cell keeps `concurrency` in flight
 * across threads as one sliding window. Samples are recorded here as they come (numbered, stored, emitted,
 * aggregated exactly as the main thread's own). A worker that dies loses only its requests in flight: each
 * is stored as a `CANCELLED` sample, so the cell is partial; the others take the requests left.
 */
export async function prepareCellOnWorkers(ctx: RunContext, w: WorkerCell): Promise<PreparedWorkerCell> {
  const pool = poolOf(ctx);
  const workers = await pool.take(w.workers);
  const lanes = Math.min(w.cell.concurrency, w.planned);
  await Promise.all(workers.map((worker, k) => reserve(worker, lanesOf(lanes, workers.length, k))));
  // A thread that died since is left out; with none left, the cell measures nothing (and is partial).
  return {
    run: () =>
      runCellOnWorkers(
        ctx,
        w,
        workers.filter((worker) => worker.alive),
        lanes,
      ),
  };
}

async function runCellOnWorkers(ctx: RunContext, w: WorkerCell, workers: EngineWorker[], lanes: number): Promise<WorkerLoops> {
  if (workers.length === 0) return { worst: { ...NO_LOOP_READING }, p99Ms: [] };
  const counter = new SharedArrayBuffer(4);
  const numbers = ctx.reserveRequests(w.planned);
  const cellId = cellIds++;
  // The run halted or was aborted: no lane takes another index.
  const stop = () => Atomics.store(new Int32Array(counter), 0, w.planned);
  if (ctx.stopSignal.aborted) stop();
  else ctx.stopSignal.addEventListener('abort', stop, { once: true });
  const base = {
    type: 'cell',
    cellId,
    cell: w.cell,
    total: w.planned,
    counter,
    // With drawn sizes, each prompt is built from the smallest size's plan, padded up (as a local cell does).
    plan: w.sizer ? w.sizer(0).plan : w.plan,
    sizes: w.sizer && Int32Array.from({ length: w.planned }, (_, i) => w.sizer!(i).promptTokens),
    nonceBase: numbers.nonce,
    requestBase: numbers.request,
  } as const;
  try {
    const loops = await Promise.all(
      workers.map((worker, k) => runShare(ctx, worker, { ...base, lanes: lanesOf(lanes, workers.length, k) }, w)),
    );
    return { worst: worstLoop(loops), p99Ms: loops.map((l) => l.p99Ms) };
  } finally {
    ctx.stopSignal.removeEventListener('abort', stop);
  }
}

/** Stop the run's worker threads, if it started any. */
export async function closeWorkers(ctx: RunContext): Promise<void> {
  const pool = pools.get(ctx);
  pools.delete(ctx);
  await pool?.close();
}

function poolOf(ctx: RunContext): WorkerPool {
  let pool = pools.get(ctx);
  if (pool) return pool;
  pool = createWorkerPool({
    type: 'init',
    transport: ctx.workerTransport!,
    suite: ctx.suite,
    runId: ctx.runId,
    timelines: ctx.timelines,
    mainOrigin: performance.timeOrigin,
    // The run's clock is `performance.now` plus a constant (the default: 0); workers add it too.
    clockOffsetMs: ctx.clock() - performance.now(),
    promptSet: ctx.promptSet,
  });
  pools.set(ctx, pool);
  const p = pool;
  const onAbort = () => p.abort(errorMessage(ctx.signal.reason));
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return pool;
}

/** Have a worker open `lanes` connections; settles when it has (or has died: the cell then runs without it). */
function reserve(worker: EngineWorker, lanes: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      worker.onMessage = undefined;
      worker.onExit = undefined;
      resolve();
    };
    worker.onMessage = (m) => {
      if (m.type === 'reserved') done();
    };
    worker.onExit = done;
    worker.post({ type: 'reserve', lanes });
  });
}

/** One worker's share of a cell: resolves with its loop delay when it is done, or when it died. */
function runShare(ctx: RunContext, worker: EngineWorker, message: Extract<ToWorker, { type: 'cell' }>, w: WorkerCell): Promise<LoopDelay> {
  const inFlight = new Map<number, { requestId: string; startedAt: string }>();
  return new Promise((resolve) => {
    const finish = (loop: LoopDelay) => {
      worker.onMessage = undefined;
      worker.onExit = undefined;
      resolve(loop);
    };
    worker.onMessage = (m) => {
      if (!('cellId' in m) || m.cellId !== message.cellId) return;
      if (m.type === 'begin') {
        inFlight.set(m.index, { requestId: m.requestId, startedAt: m.startedAt });
        ctx.ours.begin();
      } else if (m.type === 'sample' || m.type === 'dropped') {
        if (inFlight.delete(m.index)) ctx.ours.end();
        if (m.type === 'sample') w.add(ctx.record(m.sample), m.completedAt);
      } else if (m.type === 'cell-failed') ctx.warn(`worker thread ${worker.index} failed in a cell: ${m.message}`);
      else finish(m.loop);
    };
    worker.onExit = (why) => {
      for (const lost of inFlight.values()) {
        ctx.ours.end();
        const sample = ctx.record({
          ...w.cell,
          phase: 'measured',
          startedAt: lost.startedAt,
          requestId: lost.requestId,
          ok: false,
          error: { code: 'CANCELLED', message: `${why} while the request was in flight` },
          outputTokens: 0,
          itlMs: [],
          server: { source: 'none' },
          flags: [],
        });
        w.add(sample, ctx.clock());
      }
      ctx.warn(`${why} during a cell: ${inFlight.size} request(s) in flight on it were lost`);
      inFlight.clear();
      finish({ ...NO_LOOP_READING });
    };
    worker.post(message);
  });
}

/** The loop delay the self-check judges by (see `cellClientHealth`): p99 with enough readings, else p90. */
function judged(loop: LoopDelay): number {
  return (loop.count >= READINGS_FOR_P99 ? loop.p99Ms : loop.count >= READINGS_TO_JUDGE ? loop.p90Ms : null) ?? -1;
}

/** The worst of the workers' loops: the cell is saturated when any one is. */
export function worstLoop(loops: readonly LoopDelay[]): LoopDelay {
  let worst = NO_LOOP_READING;
  for (const loop of loops) if (judged(loop) > judged(worst) || (judged(loop) === judged(worst) && loop.count > worst.count)) worst = loop;
  return worst;
}
