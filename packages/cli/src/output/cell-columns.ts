import type { CellResult } from '@swapbench/core';
import { num, wrap } from './format.js';

/**
 * One column of the per-cell report, shared by the terminal table, Markdown and CSV: the same figures under
 * the same names everywhere. `drop` orders what the terminal table leaves out when it is too narrow (lowest
 * first; columns without it always stay); `--json` and CSV always carry everything.
 */
export interface CellColumn {
  /** CSV header: a stable machine name with its unit. */
  id: string;
  /** Terminal/Markdown header, two lines: what, then which statistic and unit. */
  head: [string, string];
  align: 'left' | 'right';
  /** Formatted for people. */
  text(cell: CellResult): string;
  /** Unformatted for CSV: a number, or '' when there is none. */
  raw(cell: CellResult): string | number;
  drop?: number;
  /** Only in CSV (a machine's column; the table shows it another way). */
  only?: 'csv';
  /** Shown only when some cell has what it shows (goodput needs an `slo`). */
  when?: (cells: readonly CellResult[]) => boolean;
}

/** The columns a table or Markdown report of `cells` shows (CSV takes every one). */
export function shownColumns(cells: readonly CellResult[]): CellColumn[] {
  return CELL_COLUMNS.filter((c) => c.only !== 'csv' && (c.when === undefined || c.when(cells)));
}

const value = (n: number | null | undefined): number | '' => (n === null || n === undefined || !Number.isFinite(n) ? '' : n);

/** Short flag letters, explained by the legend under the table. */
export const FLAG_LEGEND: Readonly<Record<string, string>> = {
  P: 'polluted: foreign requests ran on the host during the cell',
  S: 'client saturated: timings include client-side delay',
  W: 'warm-cache: the server reused cached prompt despite cache busting',
  Z: 'size off: the server saw another prompt size or output length than asked',
  Q: 'client-wait: some requests waited in the client before being sent',
  L: 'late: some open-loop requests started more than 5 ms after their scheduled time',
  p: 'partial: the cell was cut short',
  f: 'other flags (see --json)',
};

/** Each sample flag's letter; a flag a later version adds shows as `f`. */
const LETTER_OF_FLAG: Readonly<Record<string, string>> = {
  'warm-cache': 'W',
  'prompt-size-mismatch': 'Z',
  'length-mismatch': 'Z',
  'client-wait': 'Q',
  late: 'L',
};

/** The flag letters of a cell, e.g. `PS`, in the legend's order. */
export function flagLetters(cell: CellResult): string {
  const used = new Set<string>();
  if (cell.polluted) used.add('P');
  if (cell.client?.saturated) used.add('S');
  for (const flag of Object.keys(cell.flags)) used.add(LETTER_OF_FLAG[flag] ?? 'f');
  if (cell.partial) used.add('p');
  return Object.keys(FLAG_LEGEND)
    .filter((letter) => used.has(letter))
    .join('');
}

/** The flags of a cell in words, for Markdown and CSV where width is no concern. */
export function flagWords(cell: CellResult): string {
  const words = Object.entries(cell.flags).map(([flag, count]) => `${flag}×${count}`);
  if (cell.client?.saturated) words.unshift('client-saturated');
  if (cell.polluted) words.unshift(`polluted(${cell.concurrentForeignRequests?.peak ?? '?'} foreign)`);
  if (cell.partial) words.push('partial');
  return words.join(' ');
}

export const CELL_COLUMNS: readonly CellColumn[] = [
  { id: 'model', head: ['model', ''], align: 'left', text: (c) => c.model, raw: (c) => c.model },
  { id: 'prompt_tokens', head: ['pp', 'tokens'], align: 'right', text: (c) => String(c.promptTokens), raw: (c) => c.promptTokens },
  { id: 'max_tokens', head: ['tg', 'tokens'], align: 'right', text: (c) => String(c.maxTokens), raw: (c) => c.maxTokens },
  {
    id: 'concurrency',
    head: ['conc', ''],
    align: 'right',
    // An open-loop cell is named by its rate; its concurrency is only the in-flight cap.
    text: (c) => (c.rate === undefined ? String(c.concurrency) : `${Number(c.rate.toPrecision(3))}/s`),
    raw: (c) => c.concurrency,
  },
  {
    id: 'rate_rps',
    head: ['rate', 'req/s'],
    align: 'right',
    text: (c) => (c.rate === undefined ? '' : String(c.rate)),
    raw: (c) => value(c.rate),
    only: 'csv',
  },
  { id: 'requests', head: ['n', ''], align: 'right', text: (c) => String(c.n), raw: (c) => c.n },
  { id: 'errors', head: ['err', ''], align: 'right', text: (c) => String(c.errors), raw: (c) => c.errors },
  { id: 'ttft_p50_ms', head: ['TTFT', 'p50 ms'], align: 'right', text: (c) => num(c.ttftMs.p50), raw: (c) => value(c.ttftMs.p50) },
  { id: 'ttft_p95_ms', head: ['TTFT', 'p95 ms'], align: 'right', text: (c) => num(c.ttftMs.p95), raw: (c) => value(c.ttftMs.p95), drop: 6 },
  { id: 'e2e_p50_ms', head: ['E2E', 'p50 ms'], align: 'right', text: (c) => num(c.e2eMs.p50, 0), raw: (c) => value(c.e2eMs.p50), drop: 2 },
  { id: 'itl_p50_ms', head: ['ITL', 'p50 ms'], align: 'right', text: (c) => num(c.itlMs.p50, 2), raw: (c) => value(c.itlMs.p50), drop: 5 },
  { id: 'itl_p99_ms', head: ['ITL', 'p99 ms'], align: 'right', text: (c) => num(c.itlMs.p99, 2), raw: (c) => value(c.itlMs.p99), drop: 1 },
  { id: 'gen_tps', head: ['gen', 'tok/s'], align: 'right', text: (c) => num(c.genTps.mean), raw: (c) => value(c.genTps.mean) },
  {
    id: 'server_gen_tps',
    head: ['srv tg', 'tok/s'],
    align: 'right',
    text: (c) => num(c.serverGenTps.mean),
    raw: (c) => value(c.serverGenTps.mean),
    drop: 4,
  },
  {
    id: 'server_prompt_tps',
    head: ['srv pp', 'tok/s'],
    align: 'right',
    text: (c) => num(c.serverPromptTps.mean, 0),
    raw: (c) => value(c.serverPromptTps.mean),
    drop: 7,
  },
  {
    id: 'throughput_tps',
    head: ['thru', 'tok/s'],
    align: 'right',
    text: (c) => num(c.throughputTps),
    raw: (c) => value(c.throughputTps),
    drop: 3,
  },
  {
    id: 'scheduled_ttft_p50_ms',
    head: ['TTFT due', 'p50 ms'],
    align: 'right',
    // Open loop: from when the request was due, the user's wait (a late start included).
    text: (c) => (c.load ? num(c.load.scheduledTtftMs.p50) : ''),
    raw: (c) => value(c.load?.scheduledTtftMs.p50),
    drop: 9,
    when: (cells) => cells.some((c) => c.load !== undefined),
  },
  {
    id: 'achieved_rps',
    head: ['done', 'req/s'],
    align: 'right',
    text: (c) => (c.load ? num(c.load.achievedRps, 2) : ''),
    raw: (c) => value(c.load?.achievedRps),
    only: 'csv',
  },
  {
    id: 'good_share',
    head: ['good', '%'],
    align: 'right',
    text: (c) => (c.goodput?.share == null ? '-' : (c.goodput.share * 100).toFixed(0)),
    raw: (c) => value(c.goodput?.share),
    drop: 8,
    when: (cells) => cells.some((c) => c.goodput !== undefined),
  },
  {
    id: 'goodput_rps',
    head: ['goodput', 'req/s'],
    align: 'right',
    text: (c) => num(c.goodput?.rps, 2),
    raw: (c) => value(c.goodput?.rps),
    drop: 0,
    when: (cells) => cells.some((c) => c.goodput !== undefined),
  },
  { id: 'flags', head: ['flags', ''], align: 'left', text: flagLetters, raw: flagWords },
];

/** The legend printed under a table with the columns `shown`, wrapped at `width`. */
export function legend(shown: readonly CellColumn[], cells: readonly CellResult[], width: number): string[] {
  const ids = new Set(shown.map((c) => c.id));
  const parts = ['pp = prompt tokens, tg = tokens generated, conc = requests in flight'];
  if (cells.some((c) => c.rate !== undefined)) parts.push('N/s = an open-loop rate (requests/s)');
  if (ids.has('scheduled_ttft_p50_ms')) parts.push('TTFT due = from when an open-loop request was due');
  if (ids.has('good_share')) parts.push('good = share of requests meeting the SLO');
  const speeds = ['gen = client-measured output speed per request'];
  if (ids.has('server_gen_tps') || ids.has('server_prompt_tps')) speeds.push('srv = server-reported');
  if (ids.has('throughput_tps')) speeds.push('thru = all output tokens / cell wall time');
  const lines = [`  ${parts.join('; ')}; ${speeds.join(', ')}`];
  const used = new Set(cells.flatMap((c) => [...flagLetters(c)]));
  if (used.size > 0)
    lines.push(
      `  flags: ${Object.entries(FLAG_LEGEND)
        .filter(([letter]) => used.has(letter))
        .map(([letter, what]) => `${letter} ${what}`)
        .join('; ')}`,
    );
  const hidden = shownColumns(cells)
    .filter((c) => !ids.has(c.id))
    .map((c) => `${c.head[0]} ${c.head[1]}`.trim());
  if (hidden.length > 0) lines.push(`  not shown at this width: ${hidden.join(', ')} (see --json, --format csv)`);
  return lines.flatMap((line) => wrap(line, width, '    '));
}
