import { markdownTable } from 'markdown-table';
import type { CellResult, RunResult, ServerModelInfo } from '@swapbench/core';
import { redactUrl } from '@swapbench/core';
import { csvRecord } from '../export/csv.js';
import { CELL_COLUMNS, FLAG_LEGEND, flagLetters, shownColumns } from './cell-columns.js';
import { num } from './format.js';

const escapeMd = (s: string) => s.replaceAll('|', '\\|');

/** A Markdown report to paste into an issue: what ran against what, every cell column, the flag legend. */
export function renderMarkdown(result: RunResult): string {
  const server = result.environment.server;
  const lines = [
    `**swapbench ${result.environment.client.swapbenchVersion}** · suite \`${result.suite.name}\` · run \`${result.runId}\` · ${result.status}`,
    '',
  ];
  if (server) lines.push(`server: ${server.kind} at ${redactUrl(server.baseUrl)}`, '');
  const columns = shownColumns(result.cells);
  const rows = result.cells.map((cell) => columns.map((c) => escapeMd(c.text(cell))));
  lines.push(
    markdownTable([columns.map((c) => `${c.head[0]} ${c.head[1]}`.trim()), ...rows], {
      align: columns.map((c) => (c.align === 'right' ? 'r' : 'l')),
    }),
  );
  const used = new Set(result.cells.flatMap((c) => [...flagLetters(c)]));
  const legend = Object.entries(FLAG_LEGEND).filter(([letter]) => used.has(letter));
  // Open-loop and SLO columns are explained here as under the table (`legend`): `20/s` and `good %` read alone.
  const load: string[] = [];
  if (result.cells.some((c) => c.rate !== undefined)) load.push('N/s = an open-loop rate (requests/s)');
  if (columns.some((c) => c.id === 'good_share')) load.push('good = share of requests meeting the SLO, goodput = good requests/s');
  lines.push(
    '',
    `pp = prompt tokens, tg = tokens generated, conc = requests in flight; ${load.map((p) => `${p}; `).join('')}gen = client-measured, srv = server-reported; thru = all output tokens / cell wall time.`,
  );
  if (legend.length > 0) lines.push(`Flags: ${legend.map(([l, what]) => `**${l}** ${what}`).join('; ')}.`);
  return `${lines.join('\n')}\n`;
}

/** One CSV row per cell, every column, numbers unformatted; a header row with units in the names. */
export function renderCsv(result: RunResult): string {
  let out = csvRecord(['run_id', 'suite', ...CELL_COLUMNS.map((c) => c.id)]);
  for (const cell of result.cells) out += csvRecord([result.runId, result.suite.name, ...CELL_COLUMNS.map((c) => c.raw(cell))]);
  return out;
}

/**
 * llama-bench's Markdown table: model, size, params, build, test, t/s as mean ± sd. A cell with one
 * generated token is a ppN test (prompt speed); any other cell is a tgN test (generation speed), `@ dP` when
 * its prompt was longer than the llama-bench preset's, `cC` when several streams ran at once. Speeds are the
 * server's own (llama.cpp `timings`), as llama-bench's are the engine's; the client's when the server has none.
 */
export function renderLlamaBench(result: RunResult): string {
  const pp = (c: CellResult) => c.maxTokens === 1;
  const shortest = Math.min(...result.cells.filter((c) => !pp(c)).map((c) => c.promptTokens));
  const rows: string[][] = [];
  for (const cell of result.cells) {
    const model = modelInfo(result, cell.model);
    const lead = [cell.model, bytes(model?.size), params(model?.params), model?.build ?? '-'];
    const streams = cell.concurrency > 1 ? ` c${cell.concurrency}` : '';
    if (pp(cell)) rows.push([...lead, `pp${cell.promptTokens}${streams}`, meanSd(cell, 'serverPromptTps', 'serverPromptTps')]);
    else {
      const depth = cell.promptTokens > shortest ? ` @ d${cell.promptTokens}` : '';
      rows.push([...lead, `tg${cell.maxTokens}${depth}${streams}`, meanSd(cell, 'serverGenTps', 'genTps')]);
    }
  }
  const table = markdownTable([['model', 'size', 'params', 'build', 'test', 't/s'], ...rows.map((r) => r.map(escapeMd))], {
    align: ['l', 'r', 'r', 'l', 'r', 'r'],
  });
  return `${table}\n`;
}

/** `mean ± sd` of a speed, from the server's figures or else the client's. */
function meanSd(cell: CellResult, server: 'serverPromptTps' | 'serverGenTps', client: 'serverPromptTps' | 'genTps'): string {
  const stats = cell[server].mean !== null ? cell[server] : cell[client];
  if (stats.mean === null) return '-';
  return `${num(stats.mean, 2)} ± ${num(stats.stddev ?? 0, 2)}`;
}

/** Size and parameter count of a model, where the server says them (llama-server `/v1/models` `meta`). */
function modelInfo(result: RunResult, id: string): { size?: number; params?: number; build?: string } | undefined {
  const server = result.environment.server;
  if (!server) return undefined;
  const described: ServerModelInfo | undefined = server.models.find((m) => m.id === id);
  const listed = (
    server.raw?.['/v1/models'] as { data?: Array<{ id?: string; meta?: { size?: unknown; n_params?: unknown } }> } | undefined
  )?.data;
  const meta = listed?.find((m) => m.id === id)?.meta ?? (listed?.length === 1 ? listed[0]?.meta : undefined);
  const out: { size?: number; params?: number; build?: string } = {};
  if (typeof meta?.size === 'number') out.size = meta.size;
  if (typeof meta?.n_params === 'number') out.params = meta.n_params;
  if (described?.build) out.build = described.build;
  return out;
}

/** Bytes as llama-bench shows them: `3.56 GiB`, `37.76 MiB`. */
function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(2)} MiB`;
}

/** Parameters as llama-bench shows them: `6.74 B`, `19.79 M`. */
function params(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : `${(n / 1e6).toFixed(2)} M`;
}
