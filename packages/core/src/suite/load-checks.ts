import type { z } from 'zod';

/** The parts of a suite its load shapes depend on. */
interface LoadShape {
  concurrency: readonly number[];
  requests?: number | undefined;
  rate?: readonly number[] | undefined;
  sweep?: { steps: number; requests?: number | undefined; maxConcurrency?: number | undefined } | undefined;
  promptTokens: readonly number[];
  promptDistribution?: { mean: number } | undefined;
  prompts?: { file: string } | undefined;
}

/** Seconds of arrivals an open-loop cell measures when the suite sets no `requests`. */
export const RATE_CELL_SECONDS = 10;
/** Fewest requests of an open-loop cell, whatever its rate: fewer say nothing about a distribution. */
export const RATE_CELL_MIN_REQUESTS = 10;
/** Requests per sweep step when neither the sweep nor the suite says. */
export const SWEEP_STEP_REQUESTS = 20;

/** Measured requests of an open-loop cell: the suite's `requests`, else 10 s of arrivals (at least 10). */
export function rateCellRequests(suite: Pick<LoadShape, 'requests'>, rate: number): number {
  return suite.requests ?? Math.max(RATE_CELL_MIN_REQUESTS, Math.ceil(rate * RATE_CELL_SECONDS));
}

/** Measured requests of each sweep step. */
export function sweepStepRequests(suite: Pick<LoadShape, 'requests' | 'sweep'>): number {
  return suite.sweep?.requests ?? suite.requests ?? SWEEP_STEP_REQUESTS;
}

/** Waves of a sweep's maximum-throughput step: enough that its ramp-up and drain are a small part of its time. */
export const THROUGHPUT_WAVES = 4;
/** A sweep's `maxConcurrency` when the suite gives none (the schema's default). */
const SWEEP_MAX_CONCURRENCY = 16;

/** Measured requests of a sweep's maximum-throughput step: at least `THROUGHPUT_WAVES` waves of its streams. */
export function throughputStepRequests(suite: Pick<LoadShape, 'requests' | 'sweep'>): number {
  return Math.max(sweepStepRequests(suite), THROUGHPUT_WAVES * (suite.sweep?.maxConcurrency ?? SWEEP_MAX_CONCURRENCY));
}

/** Cells and measured requests the rates and the sweep add per model × prompt size × output length (at most). */
export function loadShapeSize(suite: Pick<LoadShape, 'requests' | 'rate' | 'sweep'>): { cells: number; requests: number } {
  const rates = suite.rate ?? [];
  const sweepCells = suite.sweep ? suite.sweep.steps + 2 : 0;
  // The throughput step measures more than the others at a high maxConcurrency: counted as it runs, or the
  // announced total (and the progress ETA, which went negative) fell short.
  const sweepRequests = suite.sweep ? (sweepCells - 1) * sweepStepRequests(suite) + throughputStepRequests(suite) : 0;
  return {
    cells: rates.length + sweepCells,
    requests: rates.reduce((a, r) => a + rateCellRequests(suite, r), 0) + sweepRequests,
  };
}

/** A suite must have a load to run, and a prompt distribution must key its cells by its mean. */
export function checkLoadShape(suite: LoadShape, ctx: z.RefinementCtx): void {
  if (suite.concurrency.length === 0 && !suite.rate && !suite.sweep)
    ctx.addIssue({
      code: 'custom',
      path: ['concurrency'],
      message: 'must list at least one value, unless rate (open loop, requests/s) or sweep gives the load',
    });
  if (suite.prompts && suite.promptDistribution)
    ctx.addIssue({
      code: 'custom',
      path: ['prompts'],
      message: 'cannot be combined with a prompt-size distribution: the set gives the prompts',
    });
  else if (suite.prompts && suite.promptTokens.length !== 1)
    ctx.addIssue({
      code: 'custom',
      path: ['promptTokens'],
      message: 'must list one size with a prompt set: it sizes the warmup requests, and the set gives every measured prompt',
    });
  const d = suite.promptDistribution;
  if (d && (suite.promptTokens.length !== 1 || suite.promptTokens[0] !== d.mean))
    ctx.addIssue({
      code: 'custom',
      path: ['promptTokens'],
      message: `must be [${d.mean}] (the distribution's mean) with a promptDistribution; write promptTokens: { mean, stddev, min, max } instead`,
    });
}
