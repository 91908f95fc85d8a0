import Table from 'cli-table3';
import type { CellResult, ErrorSummary, RunResult, ServerInfo } from '@swapbench/core';
import { cellName, redactUrl, redactUrlsIn } from '@swapbench/core';
import { legend, shownColumns } from './cell-columns.js';
import { num, wrap } from './format.js';

/** The human-readable report of a run: what was measured, against what, then one row per cell. */
export function renderReport(result: RunResult, width = DEFAULT_REPORT_WIDTH): string {
  const lines: string[] = [];
  lines.push(...renderHeader(result).flatMap((line) => wrap(line, width, '      ')));
  if (result.client.clientSaturated) lines.push('', ...wrap(saturationWarning(result), width, '  '));
  if (result.cells.length > 0) lines.push('', renderCells(result.cells, width));
  const cold = result.coldStarts.filter((c) => c.coldStartMs !== undefined);
  if (cold.length > 0) {
    lines.push('', 'Cold starts (first request to a model that was not loaded; TTFT includes the load):');
    for (const c of cold) lines.push(`  ${c.model}: ${num(c.coldStartMs, 0)} ms`);
  }
  if (result.swaps.length > 0) lines.push('', renderSwaps(result));
  if ((result.sweeps ?? []).length > 0) lines.push('', renderSweeps(result));
  if (result.errors.length > 0) lines.push('', ...renderErrors(result.errors));
  if (result.notes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of result.notes) lines.push(...wrap(`  - ${redactUrlsIn(note)}`, width, '    '));
  }
  return `${lines.join('\n')}\n`;
}

function renderHeader(result: RunResult): string[] {
  const { client } = result.environment;
  const seconds = result.durationMs === null ? '-' : (result.durationMs / 1000).toFixed(1);
  const out = [
    `swapbench ${client.swapbenchVersion} · suite "${result.suite.name}" · run ${result.runId} · ${result.status} in ${seconds} s`,
  ];
  if (result.environment.server) out.push(...describeServer(result.environment.server));
  out.push(`client  Node ${client.node} · ${client.platform} ${client.arch} · ${client.cpus} (${client.cpuCount} cpus)`);
  const s = result.suite;
  out.push(
    `suite   ${perCell(s)} per cell, warmup ${s.warmup}, ` + `cache ${s.cache}, ignoreEos ${s.ignoreEos}, endpoint ${s.endpoint}`,
    `        sampling ${JSON.stringify(s.sampling)}`,
  );
  return out;
}

/** The server a run measured: `server  <kind> at <url>`, then one line per model it described. */
export function describeServer(server: ServerInfo): string[] {
  return [
    `server  ${server.kind} at ${redactUrl(server.baseUrl)}`,
    ...server.models.map((model) => `  ${model.id}: ${describeModel(model)}`),
  ];
}

function describeModel(model: ServerInfo['models'][number]): string {
  const parts: string[] = [];
  if (model.alias && model.alias !== model.id) parts.push(`alias ${model.alias}`);
  if (model.build) parts.push(`build ${model.build}`);
  if (model.contextPerSlot !== undefined) parts.push(`ctx ${model.contextPerSlot}/slot`);
  if (model.slots !== undefined) parts.push(`${model.slots} slots`);
  if (model.path) parts.push(model.path);
  return parts.length > 0 ? parts.join(' · ') : 'no details';
}

/** Each distinct error once: how often, in which cells, and what the server said. */
export function renderErrors(errors: readonly ErrorSummary[]): string[] {
  const lines = ['Errors (each distinct error once; warmups and swaps included):'];
  for (const e of errors) {
    const status = e.status === undefined ? '' : ` HTTP ${e.status}`;
    const where = [...e.cells.map(cellName), ...(e.beforeCells ?? []).map((m) => `${m} before its cells`)];
    lines.push(`  ${e.count}× ${e.code}${status} in ${where.join(', ')}`, `      ${redactUrlsIn(e.message)}`);
  }
  return lines;
}

/** Which cells the client could not keep up in; their timings include client-side delay. */
function saturationWarning(result: RunResult): string {
  // A run stored before cells carried `client` has only the run-wide figures.
  const cells = result.cells.filter((c) => c.client?.saturated);
  const shown = cells.slice(0, 5).map(cellName);
  const where =
    cells.length === 0
      ? ''
      : ` in ${cells.length} of ${result.cells.length} cells (${shown.join(', ')}${cells.length > shown.length ? `, and ${cells.length - shown.length} more` : ''})`;
  return (
    `WARNING: the client was saturated${where}: its event loop lagged up to ${num(result.client.eventLoopDelayP99Ms)} ms at p99 ` +
    `(max ${num(result.client.eventLoopDelayMaxMs)} ms), or requests waited in it before being sent; ` +
    'timings in those cells include client-side delay (see the notes).'
  );
}

/** The terminal width a report is fitted to when stdout is not a terminal: pasted into issues and CI logs. */
export const DEFAULT_REPORT_WIDTH = 120;

/** Borderless: two spaces between columns, one rule under the header. Borders cost 3 columns each. */
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '─',
  'mid-mid': '──',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** A borderless table (cli-table3) with two-line headers aligned like their columns. */
export function plainTable(
  head: ReadonlyArray<readonly [string, string]>,
  aligns: ReadonlyArray<'left' | 'right'>,
  rows: string[][],
): string {
  const table = new Table({
    head: head.map(([a, b], i) => ({ content: b ? `${a}\n${b}` : a, hAlign: aligns[i] ?? 'left' })) as unknown as string[],
    chars: PLAIN_CHARS,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
    colAligns: [...aligns],
  });
  for (const row of rows) table.push(row);
  // An empty last column would leave trailing spaces on every row.
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

const widthOf = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

/**
 * The cells as a table that fits `width` columns: the least telling columns are left out first (they stay
 * in `--json` and CSV, and the legend names them), then model names are shortened in the middle.
 */
export function renderCells(cells: CellResult[], width = DEFAULT_REPORT_WIDTH): string {
  let columns = shownColumns(cells);
  const longest = Math.max(...cells.map((c) => c.model.length));
  let modelChars = longest;
  const render = () =>
    plainTable(
      columns.map((c) => c.head),
      columns.map((c) => c.align),
      cells.map((cell) => columns.map((c) => (c.id === 'model' ? shorten(c.text(cell), modelChars) : c.text(cell)))),
    );
  let text = render();
  // A long model name gives way first, down to what still tells quants apart; then the least telling columns.
  const fitModel = (floor: number) => {
    const over = widthOf(text) - width;
    if (over <= 0 || modelChars <= floor) return;
    modelChars = Math.max(floor, modelChars - over);
    text = render();
  };
  fitModel(MODEL_CHARS_BEFORE_DROPPING);
  const droppable = columns.filter((c) => c.drop !== undefined).sort((a, b) => (a.drop ?? 0) - (b.drop ?? 0));
  while (widthOf(text) > width && droppable.length > 0) {
    const gone = droppable.shift();
    columns = columns.filter((c) => c !== gone);
    text = render();
  }
  fitModel(12);
  return [text, ...legend(columns, cells, width)].join('\n');
}

/** Model names are shortened to this before any column is left out (`Qwen2.5-Coder…Q4_K_M` still reads). */
const MODEL_CHARS_BEFORE_DROPPING = 28;

/** `name` in at most `max` characters, the middle replaced by `…` (quant suffixes stay readable). */
function shorten(name: string, max: number): string {
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

function renderSwaps(result: RunResult): string {
  const table = plainTable(
    [
      ['model', ''],
      ['swaps', ''],
      ['mean', 'ms'],
      ['p50', 'ms'],
      ['max', 'ms'],
    ],
    ['left', 'right', 'right', 'right', 'right'],
    result.swaps.map((s) => [s.model, String(s.swapMs.length), num(s.stats.mean, 0), num(s.stats.p50, 0), num(s.stats.max, 0)]),
  );
  return `Swap time (unload, then load on the next request; warm TTFT subtracted):\n${table}`;
}

/** Each sweep: one stream, the saturation point, the highest rate meeting the SLO, and why it stopped. */
function renderSweeps(result: RunResult): string {
  const table = plainTable(
    [
      ['model', ''],
      ['pp', 'tokens'],
      ['tg', 'tokens'],
      ['steps', ''],
      ['one stream', 'req/s'],
      ['saturation', 'req/s'],
      ['max good rate', 'req/s'],
      ['stopped', ''],
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    (result.sweeps ?? []).map((s) => [
      s.model,
      String(s.promptTokens),
      String(s.maxTokens),
      String(s.steps.length),
      num(s.synchronousRps, 2),
      num(s.saturationRps, 2),
      num(s.maxGoodRate, 2),
      s.stoppedBy,
    ]),
  );
  return `Sweeps (one stream, then maximum throughput, then rates between; saturation = most requests/s completed with the host full):\n${table}`;
}

/** How many requests a cell measures, as the suite says it. */
function perCell(s: RunResult['suite']): string {
  if (s.requests !== undefined) return `${s.requests} requests`;
  const parts: string[] = [];
  if ((s.concurrency ?? []).length > 0) parts.push(`${s.repetitions} rep${s.repetitions === 1 ? '' : 's'} × concurrency`);
  if ((s.rate ?? []).length > 0) parts.push('10 s of arrivals per rate (at least 10)');
  if (s.sweep) parts.push('sweep steps as sweep.requests says');
  return parts.join(', ');
}
