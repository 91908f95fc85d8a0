import { z } from 'zod';

/**
 * The parts of a suite that shape the load beyond fixed concurrency: open-loop request rates, a sweep to
 * saturation, service-level objectives (goodput), and prompt-length distributions. Kept apart from
 * `schema.ts` so the grid's file stays about the grid.
 */

/** Highest request rate a suite may ask for: one client process cannot keep a denser schedule honestly. */
export const MAX_RATE = 10_000;

/** A positive number of requests per second, bounded. */
export const RateSchema = z
  .number()
  // `abort`: the suite-wide size check must not run on a refused rate (1e9/s read as 10^10 requests).
  .gt(0, { message: 'must be above 0 requests/s', abort: true })
  .max(MAX_RATE, { message: `must be at most ${MAX_RATE} requests/s: one client process cannot keep a denser schedule`, abort: true });

/** A latency bound of an SLO, ms. */
const boundMs = z.number().gt(0, 'must be above 0 ms').max(86_400_000, 'must be at most a day (86,400,000 ms)');

/**
 * Service-level objectives: a request is *good* when it succeeded and meets every bound given. Goodput is
 * good requests per second; a sweep reports the highest rate whose good share stays at or above `target`.
 */
export const SloSchema = z
  .object({
    /** Time to first token, ms. */
    ttftMs: boundMs.optional(),
    /** Time per output token after the first, ms. */
    tpotMs: boundMs.optional(),
    /** Whole request, ms. */
    e2eMs: boundMs.optional(),
    /** Share of requests that must be good for a rate to count as served (default 0.9). */
    target: z.number().gt(0).max(1).default(0.9),
  })
  .strict()
  .refine((s) => s.ttftMs !== undefined || s.tpotMs !== undefined || s.e2eMs !== undefined, {
    message: 'must set at least one of ttftMs, tpotMs, e2eMs',
  });

/**
 * A sweep per model × prompt size × output length: one stream (concurrency 1), then the maximum throughput
 * (closed loop at `maxConcurrency`), then `steps` open-loop rates evenly between the two, stopping early once
 * the host is saturated or too many requests fail.
 */
export const SweepSchema = z
  .object({
    /** Rates measured between one stream's rate and the maximum throughput. */
    steps: z.number().int().min(1).max(50, 'must be at most 50: each step is a cell of its own'),
    /** Measured requests per step (default: the suite's `requests`, else 20). */
    requests: z.number().int().min(2).max(100_000).optional(),
    /** Concurrency of the maximum-throughput step: enough to fill every slot of the server (default 16). */
    maxConcurrency: z.number().int().min(2).max(4096).default(16),
    /**
     * A step whose throughput falls short of its offered rate by more than this share, while its median
     * latency rose from the step before, means the host is saturated: the sweep stops (default 0.1).
     */
    saturationShortfall: z.number().gt(0).lt(1).default(0.1),
  })
  .strict();

/** A seeded distribution of prompt sizes, tokens: normal with `mean` and `stddev`, clipped to [min, max]. */
export const PromptDistributionSchema = z
  .object({
    mean: z.number().int().min(1).max(1_048_576),
    stddev: z.number().min(0).max(1_048_576),
    min: z.number().int().min(1).max(1_048_576),
    max: z.number().int().min(1).max(1_048_576),
  })
  .strict()
  .refine((d) => d.min <= d.mean && d.mean <= d.max, { message: 'must have min ≤ mean ≤ max' });

/**
 * A prompt set: a JSON Lines file, one `{"prompt": "…", "maxTokens": 200}` per line (`maxTokens` optional:
 * the expected output length, else the cell's). A relative `file` is resolved against the suite file's
 * folder (the current folder for a suite given as an object). Measured requests send the set's prompts in
 * file order, or (`order: random`) drawn with the suite's seed.
 */
export const PromptSetSchema = z
  .object({
    file: z.string().min(1, 'must not be empty').max(4096),
    order: z.enum(['sequential', 'random']).default('sequential'),
  })
  .strict();

export type Slo = z.output<typeof SloSchema>;
export type PromptSet = z.output<typeof PromptSetSchema>;
export type Sweep = z.output<typeof SweepSchema>;
export type PromptDistribution = z.output<typeof PromptDistributionSchema>;
