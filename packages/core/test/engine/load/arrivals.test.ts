import { describe, expect, it } from 'vitest';
import { arrivalSchedule } from '../../../src/engine/load/arrivals.js';

/** Gaps between consecutive arrivals, ms. */
function gaps(schedule: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < schedule.length; i++) out.push(schedule[i]! - schedule[i - 1]!);
  return out;
}

/**
 * Kolmogorov–Smirnov statistic of `sample` against the exponential distribution of mean `mean`: the largest
 * distance between the sample's empirical CDF and 1 − e^(−x/mean).
 */
function ksExponential(sample: readonly number[], mean: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  for (const [i, x] of sorted.entries()) {
    const f = 1 - Math.exp(-x / mean);
    d = Math.max(d, Math.abs((i + 1) / n - f), Math.abs(f - i / n));
  }
  return d;
}

const N = 5000;
/** KS critical value at α = 0.01 for large n: 1.628 / √n (a true exponential exceeds it 1% of the time). */
const KS_CRITICAL = 1.628 / Math.sqrt(N - 1);

describe('arrivalSchedule', () => {
  it('spaces constant arrivals exactly 1000/rate ms apart, the first at 0', () => {
    const s = arrivalSchedule(101, 40, 'constant', 1);
    expect(s[0]).toBe(0);
    for (const g of gaps(s)) expect(g).toBeCloseTo(25, 9);
    expect(s[100]).toBeCloseTo(2500, 6);
  });

  it('draws Poisson arrivals at the asked rate: mean gap within 3 standard errors (4.2% at n = 5,000)', () => {
    for (const rate of [1, 50, 1000]) {
      const g = gaps(arrivalSchedule(N, rate, 'poisson', 7));
      const mean = g.reduce((a, b) => a + b, 0) / g.length;
      // Exponential gaps: the standard error of their mean is mean / √n.
      expect(Math.abs(mean - 1000 / rate) / (1000 / rate)).toBeLessThan(3 / Math.sqrt(g.length));
    }
  });

  it('draws exponential gaps (KS test at α = 0.01), which constant gaps fail', () => {
    const rate = 200;
    const poisson = gaps(arrivalSchedule(N, rate, 'poisson', 11));
    expect(ksExponential(poisson, 1000 / rate)).toBeLessThan(KS_CRITICAL);
    // The test can tell: evenly spaced arrivals at the same rate are far from exponential.
    const constant = gaps(arrivalSchedule(N, rate, 'constant', 11));
    expect(ksExponential(constant, 1000 / rate)).toBeGreaterThan(0.3);
  });

  it('gives the same schedule for the same seed, another for another seed', () => {
    const a = arrivalSchedule(100, 10, 'poisson', 3);
    expect(arrivalSchedule(100, 10, 'poisson', 3)).toEqual(a);
    expect(arrivalSchedule(100, 10, 'poisson', 4)).not.toEqual(a);
  });
});
