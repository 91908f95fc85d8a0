import type { CellKey } from '@swapbench/core';

/** `model pp1024 tg64 c4`: a cell's place in the grid, in llama-bench's words. */
export function formatCell(cell: CellKey): string {
  return `${cell.model} pp${cell.promptTokens} tg${cell.maxTokens} c${cell.concurrency}`;
}

/** A number with fixed decimals, or `-` when there is nothing to show. */
export function num(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}
