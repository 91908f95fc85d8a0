import type { CellKey, ErrorSummary, Sample } from '../result/types.js';

/** Collects the distinct errors of a run as samples fail: one entry per code, status and message. */
export interface ErrorTally {
  add(sample: Sample): void;
  /** The errors so far, most frequent first. */
  summary(): ErrorSummary[];
}

/**
 * Distinct messages kept per code and status. A message can be unique per request (a server that puts a
 * request id or a time in it): past this many, further messages of the same code and status are counted
 * together in one entry, so the tally stays bounded however many requests fail.
 */
export const DISTINCT_MESSAGES_KEPT = 20;

export function createErrorTally(): ErrorTally {
  const byKey = new Map<string, ErrorSummary>();
  const messagesPerKind = new Map<string, number>();
  return {
    add(sample) {
      const error = sample.error;
      if (!error) return;
      const kind = `${error.code}\u0000${error.status ?? ''}`;
      let key = `${kind}\u0000${error.message}`;
      let entry = byKey.get(key);
      if (!entry) {
        const kept = messagesPerKind.get(kind) ?? 0;
        if (kept < DISTINCT_MESSAGES_KEPT) {
          messagesPerKind.set(kind, kept + 1);
          entry = { ...error, count: 0, cells: [] };
        } else {
          key = `${kind}\u0000\u0000other`;
          entry = byKey.get(key) ?? {
            ...error,
            message: `(more ${error.code} errors with other messages; the first ${DISTINCT_MESSAGES_KEPT} distinct messages are listed apart)`,
            count: 0,
            cells: [],
          };
        }
        byKey.set(key, entry);
      }
      entry.count++;
      if (sample.phase !== 'measured') {
        // Not a cell's request: naming the one-stream cell it borrowed its sizes from would name a cell the
        // grid may not have (a warmup cancelled before a c2-only grid read as "in … c1").
        entry.beforeCells ??= [];
        if (!entry.beforeCells.includes(sample.model)) entry.beforeCells.push(sample.model);
        return;
      }
      const cell: CellKey = {
        model: sample.model,
        promptTokens: sample.promptTokens,
        maxTokens: sample.maxTokens,
        concurrency: sample.concurrency,
        // An open-loop cell is named by its rate: without it, every rate cell read as `c64` (the cap), one cell.
        ...(sample.rate === undefined ? {} : { rate: sample.rate }),
      };
      // Cells run one after the other: the last one listed is nearly always this one.
      const last = entry.cells.at(-1);
      if (!(last && sameCell(last, cell)) && !entry.cells.some((c) => sameCell(c, cell))) entry.cells.push(cell);
    },
    summary: () => [...byKey.values()].sort((a, b) => b.count - a.count),
  };
}

function sameCell(a: CellKey, b: CellKey): boolean {
  return (
    a.model === b.model &&
    a.promptTokens === b.promptTokens &&
    a.maxTokens === b.maxTokens &&
    a.concurrency === b.concurrency &&
    a.rate === b.rate
  );
}
