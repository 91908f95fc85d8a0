import { describe, expect, it } from 'vitest';
import { compareSweeps } from '../../src/compare/metrics.js';
import type { SweepSummary } from '../../src/result/types.js';

/** A sweep summary with the two compared figures; the steps do not enter the comparison. */
function sweep(maxGoodRate: number | null, saturationRps: number | null, over: Partial<SweepSummary> = {}): SweepSummary {
  return {
    model: 'm',
    promptTokens: 32,
    maxTokens: 16,
    steps: [],
    synchronousRps: 5,
    saturationRps,
    stoppedBy: 'completed',
    maxGoodRate,
    ...over,
  };
}

describe('compareSweeps', () => {
  it('calls a lower max-good rate a regression, beyond the threshold only', () => {
    const [good, saturation] = compareSweeps({ sweeps: [sweep(10, 20)] }, { sweeps: [sweep(8, 19.5)] });
    expect(good).toMatchObject({ metric: 'maxGoodRate', baseline: 10, candidate: 8, verdict: 'regression', reason: 'lower by 20.0%' });
    expect(good!.change).toBeCloseTo(-0.2, 9);
    // 2.5% lower is within the 10% threshold.
    expect(saturation).toMatchObject({ metric: 'saturationRps', verdict: 'unchanged' });
  });

  it('calls a higher max-good rate an improvement, and a candidate with no rate meeting the SLO a regression', () => {
    expect(compareSweeps({ sweeps: [sweep(10, 20)] }, { sweeps: [sweep(12, 20)] })[0]).toMatchObject({ verdict: 'improvement' });
    expect(compareSweeps({ sweeps: [sweep(10, 20)] }, { sweeps: [sweep(null, 20)] })[0]).toMatchObject({
      verdict: 'regression',
      change: null,
    });
    expect(compareSweeps({ sweeps: [sweep(null, 20)] }, { sweeps: [sweep(4, 20)] })[0]).toMatchObject({ verdict: 'inconclusive' });
  });

  it('pairs sweeps by model × prompt size × output length and leaves out those only one run has', () => {
    const base = { sweeps: [sweep(10, 20), sweep(10, 20, { promptTokens: 64 })] };
    const cand = { sweeps: [sweep(5, 20, { promptTokens: 64 })] };
    const out = compareSweeps(base, cand);
    expect(out.map((c) => [c.promptTokens, c.metric, c.verdict])).toEqual([
      [64, 'maxGoodRate', 'regression'],
      [64, 'saturationRps', 'unchanged'],
    ]);
    expect(compareSweeps({}, cand)).toEqual([]);
  });
});
