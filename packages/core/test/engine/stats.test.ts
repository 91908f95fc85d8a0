import { describe, expect, it } from 'vitest';
import { computeStats, percentile } from '../../src/engine/stats.js';

describe('computeStats', () => {
  it('returns nulls for no values, never NaN', () => {
    expect(computeStats([])).toEqual({ mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null });
  });

  it('interpolates percentiles between ranks and uses the sample stddev', () => {
    const s = computeStats([4, 1, 3, 2]);
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.p50).toBe(2.5);
    expect(s.p90).toBeCloseTo(3.7);
    expect(s.stddev).toBeCloseTo(Math.sqrt(5 / 3));
  });

  it('skips non-finite values', () => {
    expect(computeStats([1, Number.NaN, Infinity, 3]).mean).toBe(2);
  });

  it('gives stddev 0 and every percentile equal for one value', () => {
    const s = computeStats([7]);
    expect([s.stddev, s.p50, s.p99]).toEqual([0, 7, 7]);
    expect(percentile([7], 0.99)).toBe(7);
  });
});
