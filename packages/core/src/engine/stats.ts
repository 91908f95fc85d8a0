import { DDSketch } from '@datadog/sketches-js';
import type { Stats } from '../result/types.js';

const EMPTY: Stats = { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/**
 * Distribution of a list of numbers, exact. Percentiles interpolate linearly between closest ranks (numpy's
 * default), stddev is the sample standard deviation (0 for a single value). Non-finite values are skipped.
 * Takes any array-like (a `Float64Array` column too) and copies it once into a typed array to sort it.
 */
export function computeStats(values: ArrayLike<number>): Stats {
  // A typed array sorts numerically without a comparator call per step: cells hold tens of thousands of values.
  const finite = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite[n++] = v;
  }
  if (n === 0) return { ...EMPTY };
  const sorted = finite.subarray(0, n).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2;
  return {
    mean,
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: sorted[0]!,
    p50: percentile(sorted, QUANTILES.p50),
    p90: percentile(sorted, QUANTILES.p90),
    p95: percentile(sorted, QUANTILES.p95),
    p99: percentile(sorted, QUANTILES.p99),
    max: sorted[n - 1]!,
  };
}

/** Percentile `q` (0..1) of an ascending, non-empty array. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  return interpolate(sorted.length, q, (k) => sorted[k]!);
}

/** Linear interpolation between closest ranks, given the value at each rank. */
function interpolate(n: number, q: number, at: (rank: number) => number): number {
  const rank = (n - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = at(lo);
  return lo === hi ? a : a + (at(hi) - a) * (rank - lo);
}

/** Relative accuracy of a sketched percentile: within 1% of the exact one. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** A distribution kept in constant memory, for figures with one value per token. */
export interface SketchedStats {
  add(value: number): void;
  /** Values added (non-finite ones are skipped). */
  readonly count: number;
  stats(): Stats;
}

/**
 * A distribution in bounded memory: count, mean, stddev, min and max are exact (Welford's running sums);
 * percentiles come from a DDSketch (logarithmic buckets, a few KB whatever the count) and are each within
 * `SKETCH_RELATIVE_ACCURACY` of the exact ones, interpolated between ranks as `computeStats` does. Zeros are
 * counted apart by the sketch, so a percentile that falls among them is exactly 0. Non-finite values are skipped.
 */
export function createSketchedStats(): SketchedStats {
  const sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  // The k-th smallest value (from 0), as the sketch knows it: negatives, then zeros, then positives.
  const at = (k: number): number => {
    const negatives = sketch.negativeStore.count;
    let value: number;
    if (k < negatives) value = -sketch.mapping.value(sketch.negativeStore.keyAtRank(negatives - 1 - k));
    else if (k < negatives + sketch.zeroCount) value = 0;
    else value = sketch.mapping.value(sketch.store.keyAtRank(k - negatives - sketch.zeroCount));
    // A bucket's value may lie up to 1% past the extremes, which are known exactly.
    return Math.min(max, Math.max(min, value));
  };
  return {
    add(value) {
      if (!Number.isFinite(value)) return;
      count++;
      const delta = value - mean;
      mean += delta / count;
      m2 += delta * (value - mean);
      if (value < min) min = value;
      if (value > max) max = value;
      sketch.accept(value);
    },
    get count() {
      return count;
    },
    stats() {
      if (count === 0) return { ...EMPTY };
      return {
        mean,
        stddev: count > 1 ? Math.sqrt(Math.max(0, m2) / (count - 1)) : 0,
        min,
        p50: interpolate(count, QUANTILES.p50, at),
        p90: interpolate(count, QUANTILES.p90, at),
        p95: interpolate(count, QUANTILES.p95, at),
        p99: interpolate(count, QUANTILES.p99, at),
        max,
      };
    },
  };
}
