import type { Stats } from '../result/types.js';

const EMPTY: Stats = { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };

/**
 * Distribution of a list of numbers. Percentiles interpolate linearly between closest ranks (numpy's
 * default), stddev is the sample standard deviation (0 for a single value). Non-finite values are skipped.
 */
export function computeStats(values: readonly number[]): Stats {
  // A typed array sorts numerically without a comparator call per step: cells hold tens of thousands of gaps.
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  const n = sorted.length;
  if (n === 0) return { ...EMPTY };
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2;
  return {
    mean,
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: sorted[0]!,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[n - 1]!,
  };
}

/** Percentile `q` (0..1) of an ascending, non-empty array. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  return lo === hi ? a : a + (sorted[hi]! - a) * (rank - lo);
}
