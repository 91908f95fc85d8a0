/**
 * The bounds of a suite and of a suite file. Each one keeps a typo (`concurrency: [1e9]`) from becoming a
 * run that never ends, a client that runs out of memory, or a timer Node silently clamps; the messages in
 * `schema.ts` say the limit and why. A real benchmark stays far below every one of them.
 */
export const SUITE_LIMITS = {
  /**
   * Bytes of a suite file, checked before parsing. A real suite is a few KB. YAML parsing time grows fast
   * with size (measured: 64 KiB parses in ~0.25 s at worst, 1 MiB takes ~2 s), and a file is read whole.
   */
  fileBytes: 64 * 1024,
  /** Models per suite: each one is loaded (and swapped) in turn. */
  models: 64,
  /** Characters of the suite's name and of a model name. */
  nameChars: 256,
  /** Tokens of a prompt: no server's context is larger (the server's own n_ctx is checked at run time). */
  promptTokens: 1_048_576,
  /** Tokens to generate per request: no server's context is larger. */
  maxTokens: 1_048_576,
  /** Streams in flight at once: more than one client process can time honestly, and one socket each. */
  concurrency: 4096,
  /** Samples per cell and concurrency slot. */
  repetitions: 10_000,
  /** Measured requests of one cell (the `requests` field): no more than a whole run may measure. */
  requestsPerCell: 1_000_000,
  /** Warmup requests per model. */
  warmup: 1000,
  /** Unload/reload cycles per model. */
  swaps: 1000,
  /** Node's timer range (2^31−1 ms, ~24.8 days): a longer timeout is clamped by Node to 1 ms. */
  requestTimeoutMs: 2_147_483_647,
  /** Cells per run (models × prompt sizes × output lengths × concurrency levels). */
  cells: 10_000,
  /**
   * Measured requests per run: each one's sample is kept in the store (in memory for the memory store), and
   * its per-request figures in memory (~60 bytes) until its cell is aggregated.
   */
  requests: 1_000_000,
  /** Measured output tokens per run: every token's arrival gap is kept in its stored sample (8 bytes each). */
  outputTokens: 50_000_000,
  /** Problems listed in one error; the rest are counted. */
  issuesShown: 20,
} as const;

/** `1048576` → `1,048,576`, the way the messages print limits. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
