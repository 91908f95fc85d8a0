/** The verdict rule: a verdict other than `unchanged` only when the difference is both large and credible. */
import type { MetricComparison, Thresholds, Verdict } from './types.js';

/** A rounded percentage for reasons: `12.3%`. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Judge a relative change and its confidence interval (both candidate/baseline − 1). `worse` is the change
 * turned so that positive means worse. Regression: worse by more than the threshold, and the whole interval
 * on the worse side (the slowdown is not noise). Improvement likewise. A large change whose interval
 * reaches no-change is `inconclusive`; so is a small one whose interval reaches past the regression
 * threshold (a regression cannot be ruled out). Otherwise `unchanged`.
 */
export function judge(
  change: number,
  ci: { low: number; high: number },
  better: 'higher' | 'lower',
  t: Thresholds,
): Pick<MetricComparison, 'verdict' | 'reason'> {
  const sign = better === 'higher' ? -1 : 1;
  const worse = sign * change;
  // The interval, turned the same way: [best case, worst case] of "worse by".
  const [bestCase, worstCase] = sign === 1 ? [ci.low, ci.high] : [-ci.high, -ci.low];
  const span = `95% CI ${pct(ci.low)} to ${pct(ci.high)}`;
  if (worse > t.regression) {
    if (bestCase > 0) return { verdict: 'regression' };
    return { verdict: 'inconclusive', reason: `worse by ${pct(worse)}, but within noise (${span})` };
  }
  if (-worse > t.improvement) {
    if (worstCase < 0) return { verdict: 'improvement' };
    return { verdict: 'inconclusive', reason: `better by ${pct(-worse)}, but within noise (${span})` };
  }
  if (worstCase > t.regression) {
    return { verdict: 'inconclusive', reason: `too noisy to rule out a regression over ${pct(t.regression)} (${span})` };
  }
  return { verdict: 'unchanged' };
}

/** Order of severity for roll-ups: the worst verdict wins. */
const SEVERITY: Record<Verdict, number> = { unchanged: 0, improvement: 1, inconclusive: 2, regression: 3 };

/** The worst of some verdicts; `empty` when there are none. */
export function worstVerdict(verdicts: Iterable<Verdict>, empty: Verdict): Verdict {
  let worst: Verdict | undefined;
  for (const v of verdicts) if (worst === undefined || SEVERITY[v] > SEVERITY[worst]) worst = v;
  return worst ?? empty;
}
