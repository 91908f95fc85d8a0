import { DEFAULT_GRID, type InitGrid } from './server-grid.js';

/**
 * The commented suite `swapbench init` writes: every field a user is likely to change, with what it means,
 * and the rest named with their defaults. With `--host`, `models` are the server's and `grid` is sized for
 * it (see serverGrid), its comments saying why.
 */
export function suiteTemplate(models: readonly string[], grid: InitGrid = DEFAULT_GRID): string {
  const why = (paragraphs: readonly string[]) => paragraphs.map(comment).join('');
  const list =
    models.length > 0
      ? `[${models.map((m) => JSON.stringify(m)).join(', ')}]`
      : '[my-model] # the names your server lists: swapbench models --host URL';
  return `# A swapbench suite: the grid of models × prompt sizes × output lengths × concurrency to measure.
# Run it with: swapbench run suite.yaml --host http://127.0.0.1:8080
# Every field and its default: "Suite file" in the README, https://github.com/swapbench/swapbench#suite-file
name: my-suite

# Model names as the server knows them (llama-swap model ids; any name works for a single llama-server).
models: ${list}

# Exact prompt sizes in tokens, as the server evaluates them (chat template included): prompt speed (pp).
${why(grid.sizesWhy)}promptTokens: [${grid.promptTokens.join(', ')}]

# Exact output lengths in tokens (the server is asked to ignore end-of-sequence): generation speed (tg).
maxTokens: [${grid.maxTokens.join(', ')}]

# Requests in flight at once. Each cell at concurrency C measures C × repetitions requests.
${why(grid.concurrencyWhy)}concurrency: [${grid.concurrency.join(', ')}]

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

/** Columns of a comment line, as the fixed ones above keep to. */
const COMMENT_COLUMNS = 110;

/** A paragraph as `# ` comment lines, wrapped at word boundaries. */
function comment(paragraph: string): string {
  const lines: string[] = [];
  let line = '#';
  for (const word of paragraph.split(' ')) {
    if (line.length > 1 && line.length + 1 + word.length > COMMENT_COLUMNS) {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return `${[...lines, line].join('\n')}\n`;
}
