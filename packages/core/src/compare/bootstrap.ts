/** Percentile bootstrap of the ratio of a statistic between two groups of independent units (requests). */
import { percentile } from '../engine/stats.js';

/** A statistic over resampled units: the median of numbers, a percentile of pooled gaps. */
export type Statistic<U> = (units: readonly U[]) => number;

/**
 * A `confidence` interval of stat(candidate) / stat(baseline): each side's units are resampled with
 * replacement `resamples` times. Units are whole requests, so the gaps of one request stay together (they
 * are not independent of each other). Returns null when a resampled baseline statistic is not positive.
 */
export function bootstrapRatio<U>(
  baseline: readonly U[],
  candidate: readonly U[],
  stat: Statistic<U>,
  { resamples, confidence, random }: { resamples: number; confidence: number; random: () => number },
): { low: number; high: number } | null {
  const ratios = new Float64Array(resamples);
  const b: U[] = new Array(baseline.length);
  const c: U[] = new Array(candidate.length);
  for (let i = 0; i < resamples; i++) {
    for (let k = 0; k < b.length; k++) b[k] = baseline[Math.floor(random() * baseline.length)]!;
    for (let k = 0; k < c.length; k++) c[k] = candidate[Math.floor(random() * candidate.length)]!;
    const denominator = stat(b);
    if (!(denominator > 0)) return null;
    ratios[i] = stat(c) / denominator;
  }
  ratios.sort();
  const tail = (1 - confidence) / 2;
  return { low: percentile(ratios, tail), high: percentile(ratios, 1 - tail) };
}

/** Median of numbers (interpolated). */
export const median: Statistic<number> = (values) => percentile(Float64Array.from(values).sort(), 0.5);

/** Percentile `q` (0..1) of the gaps of all the given requests, pooled. */
export function pooledPercentile(q: number): Statistic<readonly number[]> {
  return (requests) => {
    let size = 0;
    for (const r of requests) size += r.length;
    const all = new Float64Array(size);
    let at = 0;
    for (const r of requests) {
      all.set(r, at);
      at += r.length;
    }
    return size === 0 ? Number.NaN : percentile(all.sort(), q);
  };
}
