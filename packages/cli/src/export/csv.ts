import type { FlatValue } from './sample-columns.js';

/**
 * One CSV record (RFC 4180) ending in `\n`. A field holding a comma, a double quote, a line break or
 * leading/trailing spaces is quoted, its quotes doubled; an empty field is a missing value. Our values
 * are flat scalars, so these few lines are the whole of what a CSV library would do here.
 */
export function csvRecord(values: readonly FlatValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]!);
  }
  return `${line}\n`;
}

function csvField(value: FlatValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
