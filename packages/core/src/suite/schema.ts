import { z } from 'zod';

const positiveInt = z.number().int().positive();
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must list at least one value');

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

/** A benchmark suite: the grid of models × prompt sizes × output lengths × concurrency levels. */
export const SuiteSchema = z
  .object({
    name: z.string().min(1),
    /** Model names as the server knows them (llama-swap model ids, or the single llama-server model). */
    models: list(z.string().min(1)),
    /** Prompt sizes in tokens, as the server evaluates them (chat template included). */
    promptTokens: list(positiveInt),
    /** Tokens to generate per request. */
    maxTokens: list(positiveInt),
    /** Requests in flight at once. */
    concurrency: list(positiveInt),
    /** Measured requests per cell and concurrency slot: a cell at concurrency C runs C × repetitions requests. */
    repetitions: positiveInt.default(3),
    /** Requests per model before its cells, stored flagged and left out of aggregates. */
    warmup: z.number().int().min(0).default(1),
    /** Sent on every request. */
    sampling: SamplingSchema.default({ temperature: 0, seed: 42 }),
    /** Ask the server to ignore end-of-sequence, so output length is exact. */
    ignoreEos: z.boolean().default(true),
    /** `bust`: a unique prefix and `cache_prompt: false` per request, so prompt speed is honest. */
    cache: z.enum(['bust', 'reuse']).default('bust'),
    /** Per-request limit, from sending to the last byte. */
    requestTimeoutMs: positiveInt.default(120_000),
    /** `chat` → `/v1/chat/completions`; `completion` → `/completion` (llama-server) or `/v1/completions`. */
    endpoint: z.enum(['chat', 'completion']).default('chat'),
    /** llama-swap: unload and reload each model this many times and report swap time on its own. */
    swaps: z.number().int().min(0).default(0),
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
  })
  .strict();

/** A suite as written by a user (defaults not yet applied). */
export type SuiteInput = z.input<typeof SuiteSchema>;
/** A suite with every default applied. */
export type Suite = z.output<typeof SuiteSchema>;
