import type { CellKey, CellResult, SweepStep, SweepSummary } from '../../result/types.js';
import { sweepStepRequests, throughputStepRequests } from '../../suite/load-checks.js';
import { mix } from '../../util/rng.js';
import { type CellLoad, measureCell } from '../phases/measure-cell.js';
import type { PreparedModel } from '../phases/prepare-model.js';
import type { RunContext } from '../run-context.js';

/**
 * A sweep over one prompt size × output length: one stream (closed loop, concurrency 1), then the maximum
 * throughput (closed loop at `sweep.maxConcurrency`, enough to fill every slot), then `steps` open-loop rates
 * evenly between the two. Each step is a cell of the run. Stops early when a step saturated the host (see
 * `isSaturated`), when more of a step's requests failed than `maxErrorRate` allows, or when the run stops.
 */
export async function runSweep(
  ctx: RunContext,
  prepared: PreparedModel,
  size: { promptTokens: number; maxTokens: number },
  position: { index: number; total: number },
): Promise<SweepSummary> {
  const { suite } = ctx;
  const sweep = suite.sweep!;
  const requests = sweepStepRequests(suite);
  const key = { model: prepared.model, ...size };
  const steps: SweepStep[] = [];
  const summary = (stoppedBy: SweepSummary['stoppedBy']): SweepSummary => {
    // Closed-loop steps only (one stream, maximum throughput): their rate is completions over the cell's wall
    // time. An open-loop step's rate is read between its first and last completion, which over a short step
    // overstates a saturated host whose requests end in waves (by up to n/(n − slots)).
    const rates = steps
      .filter((s) => s.kind !== 'rate')
      .map((s) => s.achievedRps)
      .filter((r): r is number => r !== null);
    return {
      ...key,
      steps,
      synchronousRps: steps[0]?.achievedRps ?? null,
      saturationRps: rates.length > 0 ? Math.max(...rates) : null,
      stoppedBy,
      maxGoodRate: maxGoodRate(steps, suite.slo?.target),
    };
  };
  const measure = async (kind: SweepStep['kind'], cell: CellKey, load: CellLoad): Promise<SweepStep | undefined> => {
    const result = await measureCell(ctx, prepared, cell, load, { index: position.index + steps.length, total: position.total });
    if (!result) return undefined;
    const step = sweepStep(kind, result);
    steps.push(step);
    return step;
  };

  const sync = await measure('synchronous', { ...key, concurrency: 1 }, { kind: 'closed', requests });
  if (!sync || ctx.stopSignal.aborted) return summary('cancelled');
  if (sync.errorShare > suite.maxErrorRate) return summary('errors');
  const c = sweep.maxConcurrency;
  const max = await measure('throughput', { ...key, concurrency: c }, { kind: 'closed', requests: throughputStepRequests(suite) });
  if (!max || ctx.stopSignal.aborted) return summary('cancelled');
  if (max.errorShare > suite.maxErrorRate) return summary('errors');

  const lo = sync.achievedRps ?? 0;
  const hi = Math.max(lo, max.achievedRps ?? 0);
  let previous: SweepStep = sync;
  for (let i = 1; i <= sweep.steps; i++) {
    // Evenly between one stream and the maximum; from 0 when concurrency bought nothing (one slot).
    const from = hi > lo ? lo : 0;
    const rate = roundRate(from + ((hi - from) * i) / (sweep.steps + 1));
    if (!(rate > 0)) break;
    const seed = mix(suite.seed, size.promptTokens, size.maxTokens, Math.round(rate * 1000));
    const cell: CellKey = { ...key, concurrency: suite.maxConcurrency, rate };
    const step = await measure('rate', cell, {
      kind: 'open',
      plan: { count: requests, rate, arrivals: suite.arrivals, seed, maxConcurrency: suite.maxConcurrency },
    });
    if (!step || ctx.stopSignal.aborted) return summary('cancelled');
    if (step.errorShare > suite.maxErrorRate) return summary('errors');
    if (isSaturated(previous, step, sweep.saturationShortfall)) return summary('saturated');
    previous = step;
  }
  return summary('completed');
}

/**
 * The host is saturated at a rate step when it completed fewer requests per second than its schedule
 * offered, by more than `shortfall`, while its median latency (from when requests were due) rose above the
 * step before: throughput stopped rising and requests queue.
 */
export function isSaturated(previous: SweepStep, step: SweepStep, shortfall: number): boolean {
  if (step.offeredRps == null || step.achievedRps === null || step.e2eP50Ms === null || previous.e2eP50Ms === null) return false;
  return step.achievedRps < step.offeredRps * (1 - shortfall) && step.e2eP50Ms > previous.e2eP50Ms;
}

/** The highest rate whose good share stayed at or above `target`; one stream counts at its own rate. */
export function maxGoodRate(steps: readonly SweepStep[], target: number | undefined): number | null {
  if (target === undefined) return null;
  let best: number | null = null;
  for (const s of steps) {
    if (s.kind === 'throughput' || s.goodShare == null || s.goodShare < target) continue;
    const rate = s.kind === 'rate' ? s.rate : s.achievedRps;
    if (rate != null && (best === null || rate > best)) best = rate;
  }
  return best;
}

/** What a sweep keeps of a step's cell. Rate steps read latency from when requests were due. */
function sweepStep(kind: SweepStep['kind'], cell: CellResult): SweepStep {
  const load = cell.load;
  const wallRps = cell.wallMs > 0 ? ((cell.n - cell.errors) * 1000) / cell.wallMs : null;
  return {
    kind,
    ...(cell.rate === undefined ? {} : { rate: cell.rate }),
    concurrency: cell.concurrency,
    ...(load ? { offeredRps: load.offeredRps } : {}),
    achievedRps: load ? load.achievedRps : wallRps,
    e2eP50Ms: load ? load.scheduledE2eMs.p50 : cell.e2eMs.p50,
    ttftP50Ms: load ? load.scheduledTtftMs.p50 : cell.ttftMs.p50,
    errorShare: cell.n > 0 ? cell.errors / cell.n : 0,
    ...(cell.goodput ? { goodShare: cell.goodput.share } : {}),
  };
}

/** Rates kept to 3 significant decimals: a cell's key and its name stay readable. */
function roundRate(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}
