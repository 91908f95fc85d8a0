/** compareRuns: pair two runs' cells and judge each metric against the baseline. Pure: no store, no clock. */
import type { CellKey, CellResult, RunResult, Sample } from '../result/types.js';
import { mix, prng } from '../util/rng.js';
import { bootstrapRatio, median, pooledPercentile } from './bootstrap.js';
import { compareSweeps, METRICS, type MetricDef, requestGaps, requestValues } from './metrics.js';
import type {
  CellComparison,
  CompareOptions,
  CompareResult,
  ComparedInput,
  ComparedRunInfo,
  MetricComparison,
  MetricName,
  Thresholds,
  Verdict,
} from './types.js';
import { judge, pct, worstVerdict } from './verdict.js';

/** Gaps beyond a pooled percentile each side needs before that percentile is judged (p99: 500 gaps). */
const MIN_TAIL_GAPS = 5;

const DEFAULT_THRESHOLDS: Thresholds = { regression: 0.1, improvement: 0.05 };

type Resolved = CompareResult['options'];

/**
 * Compare a candidate run with a baseline run, cell by cell (model × prompt tokens × max tokens ×
 * concurrency). Each side is `{ run, samples }`: per-request samples make the verdict credible, and only
 * `phase === 'measured'` ones count. Per metric: both figures, the relative change, a bootstrap confidence
 * interval of the ratio of the figures, and a verdict (see `judge`). Cells only one side has are listed in
 * `unmatched`. Deterministic: the bootstrap is seeded (`options.seed`).
 */
export function compareRuns(baseline: ComparedInput, candidate: ComparedInput, options: CompareOptions = {}): CompareResult {
  const opts = resolveOptions(options);
  const baseSamples = byCell(baseline.samples);
  const candSamples = byCell(candidate.samples);
  const candCells = new Map(candidate.run.cells.map((c) => [keyOf(c), c]));
  const baseKeys = new Set(baseline.run.cells.map(keyOf));
  const cells: CellComparison[] = [];
  const unmatchedBase: CellKey[] = [];
  for (const b of baseline.run.cells) {
    const c = candCells.get(keyOf(b));
    if (!c) {
      unmatchedBase.push(cellKey(b));
      continue;
    }
    const random = prng(mix(opts.seed, cells.length));
    cells.push(compareCell(b, c, baseSamples.get(keyOf(b)) ?? [], candSamples.get(keyOf(b)) ?? [], opts, random));
  }
  const unmatchedCand = candidate.run.cells.filter((c) => !baseKeys.has(keyOf(c))).map(cellKey);
  const counts: Record<Verdict, number> = { regression: 0, improvement: 0, unchanged: 0, inconclusive: 0 };
  for (const cell of cells) for (const m of cell.metrics) counts[m.verdict]++;
  // Sweeps: a lower highest-good rate or saturation point is a regression like any cell's.
  const sweeps = compareSweeps(baseline.run, candidate.run, opts.thresholds.throughputTps);
  for (const s of sweeps) counts[s.verdict]++;
  return {
    baseline: runInfo(baseline.run),
    candidate: runInfo(candidate.run),
    verdict: worstVerdict([...cells.map((c) => c.verdict), ...sweeps.map((s) => s.verdict)], 'inconclusive'),
    counts,
    cells,
    sweeps,
    unmatched: { baseline: unmatchedBase, candidate: unmatchedCand },
    warnings: warningsFor(baseline.run, candidate.run, cells.length),
    options: opts,
  };
}

function compareCell(
  b: CellResult,
  c: CellResult,
  bs: readonly Sample[],
  cs: readonly Sample[],
  opts: Resolved,
  random: () => number,
): CellComparison {
  const metrics: MetricComparison[] = [];
  for (const def of METRICS) {
    if (def.source.kind === 'cell') continue;
    metrics.push(compareMetric(def, bs, cs, opts, random));
  }
  const throughput = METRICS.find((m) => m.source.kind === 'cell')!;
  metrics.splice(METRICS.indexOf(throughput), 0, compareThroughput(throughput, b, c, metrics, opts));
  return {
    ...cellKey(b),
    verdict: worstVerdict(
      metrics.map((m) => m.verdict),
      'inconclusive',
    ),
    requests: { baseline: b.n, candidate: c.n },
    errors: { baseline: b.errors, candidate: c.errors },
    clientSaturated: { baseline: b.client?.saturated === true, candidate: c.client?.saturated === true },
    polluted: { baseline: pollutedFlag(b), candidate: pollutedFlag(c) },
    metrics,
  };
}

function compareMetric(
  def: MetricDef,
  bs: readonly Sample[],
  cs: readonly Sample[],
  opts: Resolved,
  random: () => number,
): MetricComparison {
  const thresholds = opts.thresholds[def.metric];
  const base = { metric: def.metric, better: def.better, statistic: def.statistic, thresholds };
  let units: { b: unknown[]; c: unknown[] };
  let stat: (u: readonly never[]) => number;
  let resamples = opts.resamples;
  if (def.source.kind === 'request') {
    units = { b: requestValues(bs, def.source), c: requestValues(cs, def.source) };
    stat = median as (u: readonly never[]) => number;
  } else {
    units = { b: requestGaps(bs), c: requestGaps(cs) };
    stat = pooledPercentile(def.source.kind === 'itl' ? def.source.q : 0.5) as (u: readonly never[]) => number;
    resamples = opts.itlResamples;
  }
  const n = { baseline: units.b.length, candidate: units.c.length };
  const bv = n.baseline > 0 ? stat(units.b as never[]) : null;
  const cv = n.candidate > 0 ? stat(units.c as never[]) : null;
  const figures = { baseline: finiteOrNull(bv), candidate: finiteOrNull(cv), n };
  const none = (reason: string): MetricComparison => ({ ...base, ...figures, change: null, ci: null, verdict: 'inconclusive', reason });
  if (figures.baseline === null) return none('the baseline has no value for this metric (no successful request reported it)');
  if (figures.candidate === null) return none('the candidate has no value for this metric (no successful request reported it)');
  const change = figures.baseline > 0 ? figures.candidate / figures.baseline - 1 : null;
  if (change === null) return none('the baseline value is zero: no relative change');
  if (n.baseline < opts.minSamples || n.candidate < opts.minSamples) {
    return {
      ...base,
      ...figures,
      change,
      ci: null,
      verdict: 'inconclusive',
      reason: `too few requests (${n.baseline} and ${n.candidate}; at least ${opts.minSamples} per side)`,
    };
  }
  if (def.source.kind === 'itl') {
    // The bootstrap cannot see past the largest gaps it has: a high percentile needs a tail of its own.
    const need = Math.ceil(MIN_TAIL_GAPS / (1 - Math.max(def.source.q, 0.5)));
    const gaps = (u: unknown[]) => (u as number[][]).reduce((a, r) => a + r.length, 0);
    const [gb, gc] = [gaps(units.b), gaps(units.c)];
    if (gb < need || gc < need) {
      const reason = `too few token gaps for a ${def.statistic} (${gb} and ${gc}; at least ${need} per side)`;
      return { ...base, ...figures, change, ci: null, verdict: 'inconclusive', reason };
    }
  }
  const ratio = bootstrapRatio(units.b as never[], units.c as never[], stat, { resamples, confidence: opts.confidence, random });
  if (ratio === null) return { ...none('a resampled baseline value was zero: no credible interval'), change };
  const ci = { low: ratio.low - 1, high: ratio.high - 1 };
  return { ...base, ...figures, change, ci, ...judge(change, ci, def.better, thresholds) };
}

/**
 * Throughput is one figure per cell and run: it has no spread of its own. Beyond a threshold it is a
 * regression (improvement) only when the per-request gen t/s or E2E of the same cell says the same with
 * confidence; otherwise `inconclusive`. Within the thresholds, `unchanged`.
 */
function compareThroughput(
  def: MetricDef,
  b: CellResult,
  c: CellResult,
  others: readonly MetricComparison[],
  opts: Resolved,
): MetricComparison {
  const thresholds = opts.thresholds[def.metric];
  const figures = {
    baseline: finiteOrNull(b.throughputTps),
    candidate: finiteOrNull(c.throughputTps),
    n: { baseline: b.n, candidate: c.n },
  };
  const base = { metric: def.metric, better: def.better, statistic: def.statistic, thresholds, ...figures, ci: null };
  if (figures.baseline === null || !(figures.baseline > 0))
    return { ...base, change: null, verdict: 'inconclusive', reason: 'the baseline has no throughput for this cell' };
  if (figures.candidate === null)
    return { ...base, change: null, verdict: 'inconclusive', reason: 'the candidate has no throughput for this cell' };
  const change = figures.candidate / figures.baseline - 1;
  const worse = -change;
  const confirmed = (v: Verdict) => others.some((m) => (m.metric === 'genTps' || m.metric === 'e2eMs') && m.verdict === v);
  const judged = (v: Verdict, by: string): MetricComparison =>
    confirmed(v)
      ? { ...base, change, verdict: v }
      : {
          ...base,
          change,
          verdict: 'inconclusive',
          reason: `${by} ${pct(Math.abs(change))}, one figure per run, not confirmed by per-request gen t/s or E2E`,
        };
  if (worse > thresholds.regression) return judged('regression', 'lower by');
  if (-worse > thresholds.improvement) return judged('improvement', 'higher by');
  return { ...base, change, verdict: 'unchanged' };
}

function resolveOptions(o: CompareOptions): Resolved {
  const thresholds = {} as Record<MetricName, Thresholds>;
  for (const { metric } of METRICS) thresholds[metric] = { ...DEFAULT_THRESHOLDS, ...o.thresholds, ...o.metricThresholds?.[metric] };
  return {
    confidence: o.confidence ?? 0.95,
    resamples: o.resamples ?? 2000,
    itlResamples: o.itlResamples ?? 300,
    minSamples: o.minSamples ?? 3,
    seed: o.seed ?? 1,
    thresholds,
  };
}

function warningsFor(b: RunResult, c: RunResult, matched: number): string[] {
  const out: string[] = [];
  if (b.runId === c.runId) out.push(`the baseline and the candidate are the same run (${b.runId}): each metric is compared with itself`);
  for (const [side, run] of [
    ['baseline', b],
    ['candidate', c],
  ] as const) {
    if (run.status !== 'completed') out.push(`the ${side} run ${run.runId} ended ${run.status}`);
    if (run.client?.clientSaturated) out.push(`the ${side} run's client was saturated: its timings include client delay`);
    if (pollutedFlag(run)) out.push(`the ${side} run was polluted by foreign traffic on the host`);
  }
  if (matched === 0) out.push('no cell is in both runs: nothing to compare');
  return out;
}

function runInfo(run: RunResult): ComparedRunInfo {
  return {
    runId: run.runId,
    suiteName: run.suite.name,
    status: run.status,
    startedAt: run.startedAt,
    host: run.host ?? { baseUrl: '' },
    clientSaturated: run.client?.clientSaturated === true,
    polluted: pollutedFlag(run),
  };
}

/** Foreign traffic hit the host during the run or cell (runs stored before host access have no flag). */
function pollutedFlag(x: { polluted?: boolean | undefined }): boolean {
  return x.polluted === true;
}

function finiteOrNull(x: number | null | undefined): number | null {
  return x !== null && x !== undefined && Number.isFinite(x) ? x : null;
}

function cellKey(c: CellKey): CellKey {
  const key: CellKey = { model: c.model, promptTokens: c.promptTokens, maxTokens: c.maxTokens, concurrency: c.concurrency };
  if (c.rate !== undefined) key.rate = c.rate;
  return key;
}

/** Cells pair by model, sizes, concurrency and (open loop) rate: two rates under one in-flight cap are two cells. */
function keyOf(c: CellKey): string {
  return JSON.stringify([c.model, c.promptTokens, c.maxTokens, c.concurrency, c.rate ?? null]);
}

function byCell(samples: Iterable<Sample>): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const s of samples) {
    if (s.phase !== 'measured') continue;
    const k = keyOf(s);
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}
