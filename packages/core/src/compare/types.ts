/** The public shape of a comparison: what `compareRuns` returns and what `swapbench compare --json` prints. */
import type { CellKey, RunResult, RunStatus, Sample } from '../result/types.js';
import type { SweepComparison } from './metrics.js';

/** One side of a comparison: the run's result and its stored per-request samples. */
export interface ComparedInput {
  run: RunResult;
  /** The run's samples; only `phase === 'measured'` ones count (warmups, cold starts and swaps are left out). */
  samples: Iterable<Sample>;
}

/** What a metric did: worse by more than its regression threshold, better by more than its improvement one, … */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'inconclusive';

/** The metrics compared, per cell. */
export type MetricName =
  | 'genTps'
  | 'serverGenTps'
  | 'serverPromptTps'
  | 'throughputTps'
  | 'ttftMs'
  | 'e2eMs'
  | 'itlP50Ms'
  | 'itlP99Ms'
  | 'tpotMs';

/** Relative thresholds of one metric, as fractions (0.1 = 10%). */
export interface Thresholds {
  /** Worse by more than this is a regression (default 0.10). */
  regression: number;
  /** Better by more than this is an improvement (default 0.05). */
  improvement: number;
}

/** Options of `compareRuns`; every field has a default. */
export interface CompareOptions {
  /** Thresholds for every metric (defaults: regression 0.10, improvement 0.05). */
  thresholds?: Partial<Thresholds>;
  /** Per-metric thresholds, over `thresholds`. */
  metricThresholds?: Partial<Record<MetricName, Partial<Thresholds>>>;
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
  /** Bootstrap resamples for per-request metrics (default 2000). */
  resamples?: number;
  /** Bootstrap resamples for pooled ITL percentiles, which cost a sort each (default 300). */
  itlResamples?: number;
  /** Fewer successful requests than this on either side of a cell → `inconclusive` (default 3). */
  minSamples?: number;
  /** Seed of the bootstrap: the same inputs and seed give the same result (default 1). */
  seed?: number;
}

/** One metric of one cell, compared. */
export interface MetricComparison {
  metric: MetricName;
  /** `higher` is better (speeds) or `lower` is better (latencies). */
  better: 'higher' | 'lower';
  /**
   * How the figure is made from the samples: `median` of the per-request values, `p50`/`p99` of the cell's
   * pooled inter-token gaps, or `cell` (one figure per run: the cell's aggregate throughput).
   */
  statistic: 'median' | 'p50' | 'p99' | 'cell';
  /** The figure of each side; null when it has none (no successful request, or the server did not report it). */
  baseline: number | null;
  candidate: number | null;
  /** candidate / baseline − 1 (0.2 = 20% higher), whatever the direction; null when it cannot be computed. */
  change: number | null;
  /**
   * Confidence interval of `change` at `CompareResult.options.confidence`: a percentile bootstrap of the
   * ratio, resampling requests on each side. Null for `cell` figures and when no verdict could be reached.
   */
  ci: { low: number; high: number } | null;
  verdict: Verdict;
  /** Why the verdict is `inconclusive` (or, for others, anything worth saying). */
  reason?: string | undefined;
  thresholds: Thresholds;
  /** Successful requests each side contributed. */
  n: { baseline: number; candidate: number };
}

/** One cell present in both runs, compared. */
export interface CellComparison extends CellKey {
  /** The worst verdict of the cell's metrics: regression > inconclusive > improvement > unchanged. */
  verdict: Verdict;
  /** Measured requests of each side, failed included, and failed ones. */
  requests: { baseline: number; candidate: number };
  errors: { baseline: number; candidate: number };
  /** The client could not keep up in this cell (its timings include client delay), per side. */
  clientSaturated: { baseline: boolean; candidate: boolean };
  /** Foreign traffic hit the host during this cell, per side (false when the run does not say). */
  polluted: { baseline: boolean; candidate: boolean };
  metrics: MetricComparison[];
}

/** The run on one side, as the comparison names it. */
export interface ComparedRunInfo {
  runId: string;
  suiteName: string;
  status: RunStatus;
  startedAt: string;
  host: { id?: string | undefined; baseUrl: string };
  /** The client was saturated in at least one cell: its timings are suspect. */
  clientSaturated: boolean;
  /** Foreign traffic reached the host during the run (false when the run does not say). */
  polluted: boolean;
}

/** What `compareRuns` returns. Plain JSON: `swapbench compare --json` prints it as is. */
export interface CompareResult {
  baseline: ComparedRunInfo;
  candidate: ComparedRunInfo;
  /**
   * `regression` when any metric of any cell is one; else `inconclusive` when any is; else `improvement`
   * when any is; else `unchanged`. No matched cell at all is `inconclusive`.
   */
  verdict: Verdict;
  /** How many metric comparisons got each verdict. */
  counts: Record<Verdict, number>;
  cells: CellComparison[];
  /** Sweeps both runs measured (see `compareSweeps`); empty without sweeps. */
  sweeps: SweepComparison[];
  /** Cells only one side measured: listed, never dropped silently. */
  unmatched: { baseline: CellKey[]; candidate: CellKey[] };
  /** Things that make the comparison less trustworthy (a saturated client, a polluted host, a failed run). */
  warnings: string[];
  /** The options used, defaults filled in. */
  options: Required<Omit<CompareOptions, 'thresholds' | 'metricThresholds'>> & {
    thresholds: Record<MetricName, Thresholds>;
  };
}
