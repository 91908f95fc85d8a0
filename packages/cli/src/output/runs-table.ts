import Table from 'cli-table3';
import type { HostRecord, RunSummary } from '@swapbench/core';
import { redactUrl } from '@swapbench/core';

/** A row of `swapbench runs`: the listing row, and the cells the stored record has of those it planned. */
export interface RunRow {
  summary: RunSummary;
  cells: { done: number; planned: number } | undefined;
  /** Its verdict against the baseline current for it (`ok`, `REGRESSION`, `better`, `?`, `base`, `–`). */
  verdict?: string | undefined;
}

/** Characters of a run id shown: enough to be unique in any real history, and accepted as a prefix. */
export const RUN_ID_SHOWN = 8;

// Widest text of the columns that vary; with the fixed ones and the borders a row is at most 120 columns.
const SUITE_MAX = 12;
const HOST_MAX = 16;
const MODELS_MAX = 14;

/** The history table: one row per run, at most 120 columns wide whatever the names. */
export function renderRunsTable(rows: readonly RunRow[]): string {
  const table = new Table({
    head: ['run', 'started', 'status', 'suite', 'host', 'models', 'cells', 'vs base'],
    style: { head: [], border: [] },
  });
  for (const { summary: s, cells, verdict } of rows) {
    table.push([
      s.runId.slice(0, RUN_ID_SHOWN),
      localTime(s.startedAt),
      s.status,
      clip(s.suiteName, SUITE_MAX),
      clip(s.hostId ?? shortUrl(s.baseUrl), HOST_MAX),
      clip(s.models.join(', '), MODELS_MAX),
      cells === undefined ? '-' : cells.done === cells.planned ? String(cells.planned) : `${cells.done}/${cells.planned}`,
      verdict ?? '–',
    ]);
  }
  return `${table.toString()}\n`;
}

/** The registered hosts. */
export function renderHostsTable(hosts: readonly HostRecord[]): string {
  const table = new Table({ head: ['name', 'url', 'kind', 'updated'], style: { head: [], border: [] } });
  for (const h of hosts) table.push([h.id, redactUrl(h.baseUrl), h.kind ?? 'auto', localTime(h.updatedAt)]);
  return `${table.toString()}\n`;
}

/** `2026-11-30 14:05`, in the local time zone: when a user ran it, on their clock. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 16);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function shortUrl(url: string | undefined): string {
  return url === undefined ? '-' : redactUrl(url).replace(/^https?:\/\//i, '');
}

/** `text` cut to `max` characters, the cut marked with `…`. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
