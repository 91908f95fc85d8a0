import type { ServerModelInfo } from '@swapbench/core';

/** The sizes and concurrency levels `init` writes, and the comment lines that say why. */
export interface InitGrid {
  promptTokens: number[];
  maxTokens: number[];
  concurrency: number[];
  /** Paragraphs of the comment above `promptTokens`: why these sizes (none: the defaults, no server asked). */
  sizesWhy: string[];
  /** Paragraphs of the comment above `concurrency`. */
  concurrencyWhy: string[];
  /** What the server said that the grid is sized for (`its 2 slots`); empty: nothing. */
  fittedTo: string[];
}

/** Without a server: a short and a long prompt, a short output, one stream and a few. */
export const DEFAULT_GRID: InitGrid = {
  promptTokens: [512, 4096],
  maxTokens: [128],
  concurrency: [1, 4],
  sizesWhy: [],
  concurrencyWhy: [],
  fittedTo: [],
};

/** The suite schema's limit on requests in flight (core's SUITE_LIMITS.concurrency). */
const MAX_CONCURRENCY = 4096;

/**
 * The grid sized for the server `init --host` asked: prompt + output within the smallest context per slot
 * of the models it described (a run refuses a cell that does not fit), and concurrency up to its fewest
 * slots (beyond them requests queue in the server, and the wait counts in their TTFT). What it did not say
 * keeps its default, and the comment says so. `listed`: how many models the server lists.
 */
export function serverGrid(described: readonly ServerModelInfo[], listed: number): InitGrid {
  const context = smallest(described, 'contextPerSlot');
  const slots = smallest(described, 'slots');
  // Through llama-swap only loaded models are described; the others may have a smaller context.
  const unseen =
    described.length < listed
      ? [
          `The server described ${described.length} of its ${listed} models (llama-swap: the loaded ones); a run checks the others when it loads them.`,
        ]
      : [];
  const sizes = fitSizes(context, described.length);
  const fittedTo = [
    ...(context ? [`its context of ${context.value} tokens per slot`] : []),
    ...(slots ? [`its ${slots.value} slot${slots.value === 1 ? '' : 's'}`] : []),
  ];
  return { ...sizes, sizesWhy: [...sizes.sizesWhy, ...unseen], ...fitConcurrency(slots, described.length), fittedTo };
}

/** The smallest value of `field` among the models, with the model it belongs to, or undefined if none says. */
function smallest(models: readonly ServerModelInfo[], field: 'contextPerSlot' | 'slots'): Smallest | undefined {
  let best: Smallest | undefined;
  for (const m of models) {
    const value = m[field];
    if (typeof value === 'number' && value >= 1 && (best === undefined || value < best.value)) best = { value, model: m.id };
  }
  return best;
}

interface Smallest {
  value: number;
  model: string;
}

/** `2048 is model "a"'s, the smallest of the 3 models described.` when there are several, else nothing. */
function whose(best: Smallest, what: string, described: number): string[] {
  return described > 1 ? [`${best.value} is model ${JSON.stringify(best.model)}'s, the ${what} of the ${described} models described.`] : [];
}

function fitSizes(context: Smallest | undefined, described: number): Pick<InitGrid, 'promptTokens' | 'maxTokens' | 'sizesWhy'> {
  const { promptTokens, maxTokens } = DEFAULT_GRID;
  if (context === undefined)
    return {
      promptTokens,
      maxTokens,
      sizesWhy: [
        'The server did not say its context per slot, so these are the defaults. A run checks each model once it knows, and refuses sizes that do not fit (exit 2).',
      ],
    };
  const ctx = context.value;
  // An output of a quarter of a tiny context at most, so a prompt is left room.
  const output = Math.max(1, Math.min(maxTokens[0]!, Math.floor(ctx / 4)));
  const longest = Math.max(1, Math.min(promptTokens.at(-1)!, ctx - output));
  if (longest === promptTokens.at(-1) && output === maxTokens[0])
    return {
      promptTokens,
      maxTokens,
      sizesWhy: [
        `These fit the server's context of ${ctx} tokens per slot (n_ctx): a prompt and its output share it.`,
        ...whose(context, 'smallest', described),
      ],
    };
  return {
    promptTokens: promptTokens.filter((p) => p < longest).concat(longest),
    maxTokens: [output],
    sizesWhy: [
      `Sized for the server's context of ${ctx} tokens per slot (n_ctx): a prompt and its output share it, so the longest prompt is ${ctx} − ${output} = ${longest}. A run refuses a cell that does not fit (exit 2).`,
      ...whose(context, 'smallest', described),
    ],
  };
}

function fitConcurrency(slots: Smallest | undefined, described: number): Pick<InitGrid, 'concurrency' | 'concurrencyWhy'> {
  const queue = 'more queue for a slot, and the wait counts in their TTFT (a run warns when the server defers any).';
  if (slots === undefined)
    return {
      concurrency: DEFAULT_GRID.concurrency,
      concurrencyWhy: [`The server did not say how many requests it runs at once, so a default: beyond that number, ${queue}`],
    };
  const n = Math.min(slots.value, MAX_CONCURRENCY);
  const levels = n === 1 ? '1 is all it runs at once' : `1 measures one stream alone, ${n} every slot busy`;
  return {
    concurrency: n === 1 ? [1] : [1, n],
    concurrencyWhy: [
      `The server has ${slots.value} slot${slots.value === 1 ? '' : 's'} (llama-server -np), each running one request at a time: ${levels}; ${queue}`,
      ...whose(slots, 'fewest', described),
    ],
  };
}
