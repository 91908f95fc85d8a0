import type { CellKey, ErrorSummary, Sample } from '../result/types.js';

/** Collects the distinct errors of a run as samples fail: one entry per code, status and message. */
export interface ErrorTally {
  add(sample: Sample): void;
  /** The errors so far, most frequent first. */
  summary(): ErrorSummary[];
}

export function createErrorTally(): ErrorTally {
  const byKey = new Map<string, ErrorSummary>();
  return {
    add(sample) {
      const error = sample.error;
      if (!error) return;
      const key = `${error.code}\u0000${error.status ?? ''}\u0000${error.message}`;
      let entry = byKey.get(key);
      if (!entry) {
        entry = { ...error, count: 0, cells: [] };
        byKey.set(key, entry);
      }
      entry.count++;
      const cell: CellKey = {
        model: sample.model,
        promptTokens: sample.promptTokens,
        maxTokens: sample.maxTokens,
        concurrency: sample.concurrency,
      };
      if (!entry.cells.some((c) => sameCell(c, cell))) entry.cells.push(cell);
    },
    summary: () => [...byKey.values()].sort((a, b) => b.count - a.count),
  };
}

function sameCell(a: CellKey, b: CellKey): boolean {
  return a.model === b.model && a.promptTokens === b.promptTokens && a.maxTokens === b.maxTokens && a.concurrency === b.concurrency;
}
