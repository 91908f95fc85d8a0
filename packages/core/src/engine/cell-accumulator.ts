import type { CellKey, CellResult, Sample, SampleFlag } from '../result/types.js';
import type { SampleErrorCode } from '../errors/codes.js';
import { cellClientHealth, type LoopDelay } from './client-health.js';
import { computeStats, createSketchedStats } from './stats.js';
import type { Slo } from '../suite/load-schema.js';
import { meetsSlo } from './load/goodput.js';

/** What a cell's aggregate adds beyond the fixed-concurrency figures. */
export interface CellAccumulatorOptions {
  /** The suite's SLOs: the result then has `goodput`. */
  slo?: Slo | undefined;
  /** An open-loop cell: the result then has `load` (schedule lag, latencies from when requests were due). */
  openLoop?: { rate: number; arrivals: 'poisson' | 'constant'; offeredRps: number | null } | undefined;
}

/**
 * One cell's figures, gathered as its samples finish, so the engine keeps no sample (they stream to the
 * store): memory grows by 8 bytes per request and per-request figure, and not at all per token.
 *
 * Exact: n, errors and their codes, flags, resent, partial, throughput, and the per-request figures (TTFT,
 * E2E, TPOT, gen t/s, server gen and prompt t/s, queue time), kept whole in `Float64Array` columns.
 * Sketched: the inter-token gaps (ITL, one per token): their count, min, max, mean and stddev are exact, their
 * percentiles within 1% (relative) of the exact ones, and exactly 0 where they fall among zero gaps.
 *
 * The rules: failed samples count in `n` and `errors` only. Samples flagged `length-mismatch` generated
 * another length than asked, so their generation speed is not the cell's: they are left out of the
 * generation figures (gen t/s, TPOT, ITL, server gen t/s) and counted under `flags`.
 */
export interface CellAccumulator {
  /**
   * Take one finished measured sample of the cell; `completedAt` (the run's clock when it ended) lets an
   * open-loop cell tell its completion rate.
   */
  add(sample: Sample, completedAt?: number): void;
  /** Samples taken so far. */
  readonly n: number;
  /**
   * The cell's aggregate: `wallMs` is its wall time on the monotonic clock, `planned` the requests it was to
   * measure, `loop` the event-loop delay while it ran.
   */
  result(cell: CellKey, wallMs: number, planned: number, loop: LoopDelay): CellResult;
}

export function createCellAccumulator(options: CellAccumulatorOptions = {}): CellAccumulator {
  const lag = createColumn();
  const scheduledTtft = createColumn();
  const scheduledE2e = createColumn();
  let good = 0;
  let completed = 0;
  let firstEnd = Infinity;
  let lastEnd = -Infinity;
  let ends = 0;
  const ttft = createColumn();
  const e2e = createColumn();
  const tpot = createColumn();
  const genTps = createColumn();
  const serverGenTps = createColumn();
  const serverPromptTps = createColumn();
  const queue = createColumn();
  const itl = createSketchedStats();
  const errorCodes: Partial<Record<SampleErrorCode, number>> = {};
  const flags: Partial<Record<SampleFlag, number>> = {};
  let n = 0;
  let errors = 0;
  let resent = 0;
  let notCancelled = 0;
  let outputTokens = 0;

  return {
    add(s, completedAt) {
      n++;
      if (completedAt !== undefined && s.ok) {
        ends++;
        firstEnd = Math.min(firstEnd, completedAt);
        lastEnd = Math.max(lastEnd, completedAt);
      }
      outputTokens += s.outputTokens;
      if (s.resent) resent++;
      if (s.error) errorCodes[s.error.code] = (errorCodes[s.error.code] ?? 0) + 1;
      if (s.error?.code !== 'CANCELLED') notCancelled++;
      for (const f of s.flags) flags[f] = (flags[f] ?? 0) + 1;
      queue.push(s.queueMs);
      lag.push(s.scheduleLagMs);
      if (options.slo && meetsSlo(s, options.slo)) good++;
      if (!s.ok) {
        errors++;
        return;
      }
      completed++;
      ttft.push(s.ttftMs);
      e2e.push(s.e2eMs);
      scheduledTtft.push(s.scheduledTtftMs);
      scheduledE2e.push(s.scheduledE2eMs);
      serverPromptTps.push(s.server.promptTps);
      if (s.flags.includes('length-mismatch')) return;
      tpot.push(s.tpotMs);
      genTps.push(s.genTps);
      serverGenTps.push(s.server.genTps);
      for (const gap of s.itlMs) itl.add(gap);
    },
    get n() {
      return n;
    },
    result(cell, wallMs, planned, loop) {
      const queueP99 = queue.length > 0 ? computeStats(queue.values()).p99 : null;
      return {
        ...cell,
        n,
        planned,
        resent,
        partial: notCancelled < planned,
        errors,
        errorCodes: { ...errorCodes },
        ttftMs: computeStats(ttft.values()),
        e2eMs: computeStats(e2e.values()),
        itlMs: itl.stats(),
        tpotMs: computeStats(tpot.values()),
        genTps: computeStats(genTps.values()),
        serverGenTps: computeStats(serverGenTps.values()),
        serverPromptTps: computeStats(serverPromptTps.values()),
        throughputTps: wallMs > 0 && n > 0 ? (outputTokens * 1000) / wallMs : null,
        wallMs,
        flags: { ...flags },
        client: cellClientHealth(loop, n, flags['client-wait'] ?? 0, queueP99),
        // A request cut by Ctrl-C or an abort never had its chance to be good: the share is of the rest.
        ...(options.slo ? { goodput: { good, share: notCancelled > 0 ? good / notCancelled : null, rps: perSecond(good, wallMs) } } : {}),
        ...(options.openLoop
          ? {
              load: {
                ...options.openLoop,
                achievedRps: ends >= 2 && lastEnd > firstEnd ? ((ends - 1) * 1000) / (lastEnd - firstEnd) : perSecond(completed, wallMs),
                late: flags.late ?? 0,
                scheduleLagMs: computeStats(lag.values()),
                scheduledTtftMs: computeStats(scheduledTtft.values()),
                scheduledE2eMs: computeStats(scheduledE2e.values()),
              },
            }
          : {}),
      };
    },
  };
}

/** A growable column of finite numbers in one `Float64Array`: 8 bytes a value, no boxing, no per-value object. */
interface Column {
  /** Keep `value` when it is a finite number; skip it otherwise. */
  push(value: number | undefined): void;
  readonly length: number;
  /** The values so far, as a view (no copy). */
  values(): Float64Array;
}

function createColumn(): Column {
  let data = new Float64Array(64);
  let length = 0;
  return {
    push(value) {
      if (value === undefined || !Number.isFinite(value)) return;
      if (length === data.length) {
        const grown = new Float64Array(data.length * 2);
        grown.set(data);
        data = grown;
      }
      data[length++] = value;
    },
    get length() {
      return length;
    },
    values: () => data.subarray(0, length),
  };
}

/** Events per second of a wall time in ms; null for an empty or zero span. */
function perSecond(count: number, wallMs: number): number | null {
  return wallMs > 0 && count > 0 ? (count * 1000) / wallMs : null;
}
