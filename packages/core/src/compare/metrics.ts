/** The metrics a comparison covers: direction, and how each is read from a cell's samples. */
import type { RunResult, Sample, SweepSummary } from '../result/types.js';
import type { MetricName, Thresholds, Verdict } from './types.js';
import { pct } from './verdict.js';

/** How one metric is read from one request, or from the cell's pooled gaps. */
export type MetricSource =
  | { kind: 'request'; value: (s: Sample) => number | undefined; genOnly: boolean }
  | { kind: 'itl'; q: number }
  | { kind: 'cell' };

export interface MetricDef {
  metric: MetricName;
  better: 'higher' | 'lower';
  statistic: 'median' | 'p50' | 'p99' | 'cell';
  source: MetricSource;
}

// genOnly: a sample flagged `length-mismatch` generated another length than asked; the cell aggregates leave
// it out of generation figures, and so does the comparison.
export const METRICS: readonly MetricDef[] = [
  { metric: 'genTps', better: 'higher', statistic: 'median', source: { kind: 'request', value: (s) => s.genTps, genOnly: true } },
  {
    metric: 'serverGenTps',
    better: 'higher',
    statistic: 'median',
    source: { kind: 'request', value: (s) => s.server.genTps, genOnly: true },
  },
  {
    metric: 'serverPromptTps',
    better: 'higher',
    statistic: 'median',
    source: { kind: 'request', value: (s) => s.server.promptTps, genOnly: false },
  },
  { metric: 'throughputTps', better: 'higher', statistic: 'cell', source: { kind: 'cell' } },
  { metric: 'ttftMs', better: 'lower', statistic: 'median', source: { kind: 'request', value: (s) => s.ttftMs, genOnly: false } },
  { metric: 'e2eMs', better: 'lower', statistic: 'median', source: { kind: 'request', value: (s) => s.e2eMs, genOnly: false } },
  { metric: 'itlP50Ms', better: 'lower', statistic: 'p50', source: { kind: 'itl', q: 0.5 } },
  { metric: 'itlP99Ms', better: 'lower', statistic: 'p99', source: { kind: 'itl', q: 0.99 } },
  { metric: 'tpotMs', better: 'lower', statistic: 'median', source: { kind: 'request', value: (s) => s.tpotMs, genOnly: true } },
];

/** The names, in report order. */
export const METRIC_NAMES: readonly MetricName[] = METRICS.map((m) => m.metric);

/** Per-request values of a metric: successful measured requests with a finite, positive value. */
export function requestValues(samples: readonly Sample[], source: Extract<MetricSource, { kind: 'request' }>): number[] {
  const out: number[] = [];
  for (const s of samples) {
    if (!s.ok || (source.genOnly && s.flags.includes('length-mismatch'))) continue;
    const v = source.value(s);
    if (v !== undefined && Number.isFinite(v) && v > 0) out.push(v);
  }
  return out;
}

/** Each successful request's inter-token gaps (requests with none are left out). */
export function requestGaps(samples: readonly Sample[]): number[][] {
  const out: number[][] = [];
  for (const s of samples) {
    if (!s.ok || s.flags.includes('length-mismatch')) continue;
    const gaps = s.itlMs.filter((g) => Number.isFinite(g) && g >= 0);
    if (gaps.length > 0) out.push(gaps);
  }
  return out;
}

/** The figures of a sweep compared run to run: both higher is better, both one figure per run. */
export const SWEEP_METRICS = ['maxGoodRate', 'saturationRps'] as const;
export type SweepMetricName = (typeof SWEEP_METRICS)[number];

/** One sweep metric of one model × prompt size × output length, baseline against candidate. */
export interface SweepComparison {
  model: string;
  promptTokens: number;
  maxTokens: number;
  metric: SweepMetricName;
  baseline: number | null;
  candidate: number | null;
  /** candidate / baseline − 1; null when either is missing. */
  change: number | null;
  verdict: Verdict;
  reason?: string | undefined;
}

/**
 * Compare the sweeps two runs share (paired by model × prompt size × output length): the highest rate that
 * met the SLO target (`maxGoodRate`) and the saturation point. Lower by more than the regression threshold
 * is a regression; higher by more than the improvement threshold an improvement. One figure per run has no
 * interval, and a sweep's rates are placed from that run's own measurements, so a change within one step's
 * spacing may be the grid moving, not the server: the threshold alone decides. A candidate whose rates all
 * missed the SLO target where the baseline's had one that met it is a regression.
 */
export function compareSweeps(
  baseline: Pick<RunResult, 'sweeps'>,
  candidate: Pick<RunResult, 'sweeps'>,
  thresholds: Thresholds = { regression: 0.1, improvement: 0.05 },
): SweepComparison[] {
  const key = (s: SweepSummary) => JSON.stringify([s.model, s.promptTokens, s.maxTokens]);
  const theirs = new Map((candidate.sweeps ?? []).map((s) => [key(s), s]));
  const out: SweepComparison[] = [];
  for (const b of baseline.sweeps ?? []) {
    const c = theirs.get(key(b));
    if (!c) continue;
    for (const metric of SWEEP_METRICS)
      out.push({
        model: b.model,
        promptTokens: b.promptTokens,
        maxTokens: b.maxTokens,
        metric,
        ...judgeFigure(b[metric], c[metric], thresholds),
      });
  }
  return out;
}

/** A higher-is-better figure, one per run, judged on the thresholds. */
function judgeFigure(
  baseline: number | null,
  candidate: number | null,
  t: Thresholds,
): Pick<SweepComparison, 'baseline' | 'candidate' | 'change' | 'verdict' | 'reason'> {
  const figures = { baseline, candidate };
  if (baseline === null && candidate === null) return { ...figures, change: null, verdict: 'unchanged', reason: 'neither run has a value' };
  if (baseline === null || !(baseline > 0))
    return { ...figures, change: null, verdict: 'inconclusive', reason: 'the baseline has no value to compare with' };
  if (candidate === null)
    return { ...figures, change: null, verdict: 'regression', reason: 'the candidate has no value: no rate it measured met the target' };
  const change = candidate / baseline - 1;
  if (-change > t.regression) return { ...figures, change, verdict: 'regression', reason: `lower by ${pct(-change)}` };
  if (change > t.improvement) return { ...figures, change, verdict: 'improvement', reason: `higher by ${pct(change)}` };
  return { ...figures, change, verdict: 'unchanged' };
}
