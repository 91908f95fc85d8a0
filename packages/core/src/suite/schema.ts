import { z } from 'zod';
import { checkGridSize, noRepeats } from './grid-checks.js';
import { PairsSchema, pairIssues } from './size-pairs.js';
import { formatCount, SUITE_LIMITS as L } from './limits.js';
import { checkLoadShape } from './load-checks.js';
import { PromptDistributionSchema, PromptSetSchema, RateSchema, SloSchema, SweepSchema } from './load-schema.js';

/**
 * A whole number in `[min, max]`, with one message per bad value that says the bound and, for the upper one,
 * why it is there. One check instead of zod's three: a value both too big and fractional gets one message.
 */
function wholeNumber(min: number, max: number, why: string) {
  return z.number().superRefine((n, ctx) => {
    // `continue: false`: the suite-wide size check must not run on a value already refused.
    const refuse = (message: string) => ctx.addIssue({ code: 'custom', message, continue: false });
    if (n < min) refuse(`must be at least ${min} (got ${n})`);
    else if (n > max) refuse(`must be at most ${formatCount(max)} (got ${formatCount(n)}): ${why}`);
    else if (!Number.isInteger(n)) refuse(`must be a whole number (got ${n})`);
  });
}

// Control characters (and line/paragraph separators, bidi overrides) in a name would be written raw into the
// report on a terminal: an escape sequence could rewrite what the user reads.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A name printed in the report: not empty, bounded, printable. */
function printableName(what: string) {
  return z
    .string()
    .min(1, `must not be empty`)
    .max(L.nameChars, `must be at most ${L.nameChars} characters: no ${what} is longer`)
    .refine((s) => !UNPRINTABLE.test(s), 'must not contain control characters (they would be written raw to the terminal)');
}

/** A non-empty list whose values are all different. */
function grid<T extends z.ZodType<string | number>>(item: T, what: string) {
  return z.array(item).min(1, 'must list at least one value').superRefine(noRepeats(what));
}

/**
 * Sampling parameters, sent on every request and recorded with the run. Nothing is added silently: what is
 * not set here is left to the server's defaults, and the run records that it was not set.
 */
export const SamplingSchema = z
  .object({
    temperature: z.number().min(0).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    min_p: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
    repeat_penalty: z.number().optional(),
  })
  .catchall(z.union([z.number(), z.string(), z.boolean(), z.null()]));

/**
 * A benchmark suite: the grid of models × prompt sizes × output lengths × concurrency levels. Every number
 * is bounded (see `SUITE_LIMITS`), no list repeats a value, and the whole grid is bounded in cells, requests
 * and output tokens, so a typo cannot start a run that never ends or exhausts the client's memory.
 */
export const SuiteSchema = z
  .object({
    name: printableName('suite name'),
    /** Model names as the server knows them (llama-swap model ids, or the single llama-server model). */
    models: grid(printableName('model id'), 'model').max(
      L.models,
      `must list at most ${L.models} models: each is loaded in turn; split a longer list into several suites`,
    ),
    /** Prompt sizes in tokens, as the server evaluates them (chat template included). */
    promptTokens: grid(wholeNumber(1, L.promptTokens, "no server's context is larger"), 'prompt size'),
    /** Tokens to generate per request. */
    maxTokens: grid(wholeNumber(1, L.maxTokens, "no server's context is larger"), 'output length'),
    /** Measure only these (prompt size, output length) pairs, not every combination (see `PairsSchema`). */
    pairs: PairsSchema.optional(),
    /**
     * Requests in flight at once (closed loop). Empty (or left out of a suite file) when only `rate` or
     * `sweep` shapes the load; `checkLoadShape` refuses a suite with no load at all.
     */
    concurrency: z
      .array(
        wholeNumber(1, L.concurrency, 'one client process cannot time more streams honestly, and each holds a socket (a file descriptor)'),
      )
      .superRefine(noRepeats('concurrency level')),
    /** Open-loop request rates, requests/s: a cell per rate, requests sent on schedule whether or not others ended. */
    rate: grid(RateSchema, 'request rate').optional(),
    /** How open-loop requests arrive: `poisson` (exponential gaps, the default) or `constant` (evenly spaced). */
    arrivals: z.enum(['poisson', 'constant']).default('poisson'),
    /** Seed of the arrival schedules and prompt-size draws: the same seed offers the same load. */
    seed: z.number().int().min(0).max(4_294_967_295).default(1),
    /** Most open-loop requests in flight at once; a request due beyond it starts late (flagged `late`). */
    maxConcurrency: wholeNumber(1, L.concurrency, 'one client process cannot time more streams honestly').default(64),
    /** Sweep from one stream to saturation (see `SweepSchema`). */
    sweep: SweepSchema.optional(),
    /** Service-level objectives: per cell, the share of requests meeting them and goodput (requests/s). */
    slo: SloSchema.optional(),
    /**
     * Prompt sizes drawn per request (seeded) instead of one exact size per cell; written in a suite as
     * `promptTokens: { mean, stddev, min, max }` (then `promptTokens` becomes `[mean]`, the cells' key).
     */
    promptDistribution: PromptDistributionSchema.optional(),
    /** Measured requests send these prompts (a JSONL file) instead of synthetic ones of exact sizes. */
    prompts: PromptSetSchema.optional(),
    /** Measured requests per cell and concurrency slot: a cell at concurrency C runs C × repetitions requests. */
    repetitions: wholeNumber(1, L.repetitions, 'more samples per slot add no precision; run the suite again instead').default(3),
    /**
     * Measured requests per cell, whatever its concurrency (instead of `repetitions × C`). Fewer than C is
     * allowed: then only that many are in flight.
     */
    requests: wholeNumber(1, L.requestsPerCell, 'no run may measure more').optional(),
    /** Requests per model before its cells, stored flagged and left out of aggregates. */
    warmup: wholeNumber(0, L.warmup, 'a few requests warm a model').default(1),
    /** Sent on every request. */
    sampling: SamplingSchema.default({ temperature: 0, seed: 42 }),
    /** Ask the server to ignore end-of-sequence, so output length is exact. */
    ignoreEos: z.boolean().default(true),
    /** `bust`: a unique prefix and `cache_prompt: false` per request, so prompt speed is honest. */
    cache: z.enum(['bust', 'reuse']).default('bust'),
    /** Per-request limit, from sending to the last byte. */
    requestTimeoutMs: wholeNumber(
      1,
      L.requestTimeoutMs,
      "Node's timer limit (2^31−1 ms, about 24.8 days); a longer timeout would be cut to 1 ms",
    ).default(120_000),
    /** `chat` → `/v1/chat/completions`; `completion` → `/completion` (llama-server) or `/v1/completions`. */
    endpoint: z.enum(['chat', 'completion']).default('chat'),
    /** llama-swap: unload and reload each model this many times and report swap time on its own. */
    swaps: wholeNumber(0, L.swaps, 'each swap loads the model again').default(0),
    /**
     * Share of measured requests that may fail before the run counts as `failed` (exit 4): a benchmark with
     * more failures than this measured a broken server, not a slow one.
     */
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    /**
     * Run cells whose prompt + output cannot fit the server's context per slot (they stop early and are
     * flagged) instead of refusing the suite before the first request.
     */
    allowContextOverflow: z.boolean().default(false),
    /**
     * Size prompts with the server's tokenizer before the first request (default). `false` skips those calls
     * (a harness that sizes its own prompts, a server whose tokenizer is slow): sizes are then estimated,
     * and a sample the server saw at another size is flagged `prompt-size-mismatch`.
     */
    calibrate: z.boolean().default(true),
    /**
     * Worker threads a closed-loop cell's in-flight requests are split across (issue #21): 1 (the default)
     * times every stream on the main thread; `auto` starts one per 128 streams, up to the cores but one.
     */
    workers: z
      .union([z.literal('auto'), z.number()], { error: 'must be a whole number from 1 to 256, or "auto"' })
      .superRefine((n, ctx) => {
        if (n !== 'auto' && !(Number.isInteger(n) && n >= 1 && n <= 256))
          ctx.addIssue({
            code: 'custom',
            message: `must be a whole number from 1 to 256 (a thread per core is the most that helps), or "auto" (got ${n})`,
          });
      })
      .default(1),
    /**
     * Issue #21 (runners): remote runners a closed-loop cell's requests are split across, through the shared
     * PostgreSQL store (`swapbench runner`); 0 (the default) sends everything from this process.
     */
    runners: z
      .number({ error: 'must be a whole number from 0 to 64' })
      .int({ error: 'must be a whole number from 0 to 64' })
      .min(0, { error: 'must be a whole number from 0 to 64' })
      .max(64, {
        error: 'must be a whole number from 0 to 64 (shares of one cell; more runners than that would each get a handful of streams)',
      })
      .default(0),
  })
  .strict()
  // Runs only when every field is valid: the size of the whole grid, and a load to run.
  .superRefine((suite, ctx) => {
    checkLoadShape(suite, ctx);
    for (const issue of pairIssues(suite)) ctx.addIssue({ code: 'custom', ...issue });
    checkGridSize(suite, ctx);
  });

// Interfaces, not aliases: editors and compiler errors then say `SuiteInput` / `Suite` instead of spelling
// out the whole expanded object type.
/** A suite as written by a user: fields with defaults may be left out. */
export interface SuiteInput extends z.input<typeof SuiteSchema> {}
/** A suite with every default applied. */
export interface Suite extends z.output<typeof SuiteSchema> {}

/** The fields a suite may have, in the order the README lists them. */
export const SUITE_FIELDS: readonly string[] = Object.keys(SuiteSchema.shape);
