import type { z } from 'zod';
import { formatCount, SUITE_LIMITS as L } from './limits.js';
import { loadShapeSize } from './load-checks.js';

/**
 * A zod check that refuses a value listed twice, naming where it was first. Refused rather than dropped: a
 * repeat runs the same cells twice (or means another value was meant), and changing the grid silently would
 * hide that.
 */
export function noRepeats(what: string) {
  return (values: readonly (string | number)[], ctx: z.RefinementCtx): void => {
    const first = new Map<string | number, number>();
    for (const [i, value] of values.entries()) {
      const at = first.get(value);
      if (at === undefined) first.set(value, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `repeats the ${what} ${JSON.stringify(value)} of [${at}]: it would run the same cells twice; remove it (raise repetitions for more samples)`,
        });
    }
  };
}

/** The parts of a suite its size depends on. */
interface Grid {
  models: readonly string[];
  promptTokens: readonly number[];
  maxTokens: readonly number[];
  concurrency: readonly number[];
  repetitions: number;
  requests?: number | undefined;
  rate?: readonly number[] | undefined;
  sweep?: { steps: number; requests?: number | undefined } | undefined;
}

/**
 * The size of the whole run, which no single field bounds: cells, measured requests and measured output
 * tokens. Each over its limit is one issue on the whole suite, with the product spelled out.
 */
export function checkGridSize(suite: Grid, ctx: z.RefinementCtx): void {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const { models, promptTokens, maxTokens, concurrency, repetitions, requests: perCell } = suite;
  // The messages' parts are built only for an issue: the first toLocaleString costs ~10 ms (ICU), every run.
  const axes = () =>
    [count(models.length, 'model'), count(promptTokens.length, 'prompt size'), count(maxTokens.length, 'output length')].join(' × ');
  // Rate cells and sweep steps are cells too, per model × prompt size × output length.
  const load = loadShapeSize(suite);
  const cells = models.length * promptTokens.length * maxTokens.length * (concurrency.length + load.cells);
  const perPair = () => {
    const last = count(concurrency.length, 'concurrency level');
    return load.cells > 0 ? `(${last} + ${count(load.cells, 'rate or sweep cell')})` : last;
  };
  if (cells > L.cells)
    ctx.addIssue({
      code: 'custom',
      message:
        `${formatCount(cells)} cells (${axes()} × ${perPair()}) is more than ${formatCount(L.cells)} ` +
        'per run: split the suite into several files',
    });
  // A cell at concurrency C measures `requests`, or C × repetitions, requests.
  const perAxes = models.length * promptTokens.length * maxTokens.length;
  const perOutputLength = (perCell === undefined ? sum(concurrency) * repetitions : concurrency.length * perCell) + load.requests;
  const requests = perAxes * perOutputLength;
  const closed = () =>
    perCell === undefined
      ? `${formatCount(sum(concurrency))} summed concurrency × ${count(repetitions, 'repetition')}`
      : `${count(concurrency.length, 'concurrency level')} × ${formatCount(perCell)} requests per cell`;
  // Rate cells and sweep steps add their own requests: without them a rate-only suite read "0 summed concurrency".
  const product = () =>
    load.requests === 0
      ? closed()
      : concurrency.length === 0
        ? `${formatCount(load.requests)} requests of rate or sweep cells`
        : `(${closed()} + ${formatCount(load.requests)} requests of rate or sweep cells)`;
  const lowerWhat = concurrency.length === 0 ? 'rate or requests' : perCell === undefined ? 'repetitions or concurrency' : 'requests';
  if (requests > L.requests)
    ctx.addIssue({
      code: 'custom',
      message:
        `${formatCount(requests)} measured requests (${axes()} × ${product()})` +
        ` is more than ${formatCount(L.requests)} per run: every sample is kept in the store; ` +
        `lower ${lowerWhat}, or split the suite`,
    });
  const tokens = models.length * promptTokens.length * sum(maxTokens) * perOutputLength;
  if (requests <= L.requests && tokens > L.outputTokens)
    ctx.addIssue({
      code: 'custom',
      message:
        `${formatCount(tokens)} measured output tokens is more than ${formatCount(L.outputTokens)} per run: every token's ` +
        `arrival gap is kept in the store; lower maxTokens, ${lowerWhat}, or split the suite`,
    });
}

/** `3 models`, `1 model`. */
function count(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
