/** The metrics a comparison covers: direction, and how each is read from a cell's samples. */
import type { Sample } from '../result/types.js';
import type { MetricName } from './types.js';

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
