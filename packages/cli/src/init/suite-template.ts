/**
 * The commented suite `swapbench init` writes: every field a user is likely to change, with what it means,
 * and the rest named with their defaults. `models` is filled in from the server when `--host` is given.
 */
export function suiteTemplate(models: readonly string[]): string {
  const list =
    models.length > 0
      ? `[${models.map((m) => JSON.stringify(m)).join(', ')}]`
      : '[my-model] # the names your server lists: swapbench models --host URL';
  return `# A swapbench suite: the grid of models × prompt sizes × output lengths × concurrency to measure.
# Run it with: swapbench run suite.yaml --host http://127.0.0.1:8080
# Every field and its default: "Suite files" in the swapbench README (npm: swapbench).
name: my-suite

# Model names as the server knows them (llama-swap model ids; any name works for a single llama-server).
models: ${list}

# Exact prompt sizes in tokens, as the server evaluates them (chat template included): prompt speed (pp).
promptTokens: [512, 4096]

# Exact output lengths in tokens (the server is asked to ignore end-of-sequence): generation speed (tg).
maxTokens: [128]

# Requests in flight at once. Each cell at concurrency C measures C × repetitions requests.
concurrency: [1, 4]

# Measured requests per cell and concurrency slot.
repetitions: 3

# Requests per model before measuring (loads the model, fills caches); stored flagged, not in the figures.
warmup: 1

# llama-swap: unload and reload each model this many times and report swap time on its own.
swaps: 0

# Sent with every request; anything not set is left to the server's defaults (and recorded as not set).
sampling:
  temperature: 0
  seed: 42

# More, with their defaults:
# cache: bust              # a unique prefix per request, so prompt speed is honest (reuse: let the server cache)
# endpoint: chat           # chat: /v1/chat/completions; completion: /completion or /v1/completions
# ignoreEos: true          # exact output lengths
# requestTimeoutMs: 120000 # per request, from sending to the last byte
# maxErrorRate: 0.05       # more failed requests than this and the run is failed (exit 4)
# requests: 20             # measured requests per cell whatever its concurrency (instead of repetitions × C)
`;
}
