/** The comparison as a terminal table or a Markdown table (to paste into a GitHub issue). */
import Table from 'cli-table3';
import { cellName, type CompareResult, type MetricComparison, type Verdict } from '@swapbench/core';

const LABEL: Record<string, string> = {
  genTps: 'gen t/s',
  serverGenTps: 'srv gen t/s',
  serverPromptTps: 'srv prompt t/s',
  throughputTps: 'throughput t/s',
  ttftMs: 'TTFT ms',
  e2eMs: 'E2E ms',
  itlP50Ms: 'ITL p50 ms',
  itlP99Ms: 'ITL p99 ms',
  tpotMs: 'TPOT ms',
};

/** What `swapbench runs` shows for a verdict. */
export const VERDICT_SHORT: Record<Verdict, string> = {
  regression: 'REGRESSION',
  improvement: 'better',
  unchanged: 'ok',
  inconclusive: '?',
};

interface Row {
  cell: string;
  metric: MetricComparison;
}

/** Rows shown: every metric with `all`, else the ones not `unchanged` (the interesting ones). */
function rowsOf(result: CompareResult, all: boolean): Row[] {
  return result.cells.flatMap((c) =>
    c.metrics.filter((m) => all || m.verdict !== 'unchanged').map((metric) => ({ cell: cellName(c), metric })),
  );
}

const num = (x: number | null) => (x === null ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const signed = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const interval = (m: MetricComparison) => (m.ci === null ? '-' : `${signed(m.ci.low)} … ${signed(m.ci.high)}`);
const verdictText = (m: MetricComparison) => (m.verdict === 'regression' ? 'REGRESSION' : m.verdict);

/** Header lines: which runs, the overall verdict and the counts. */
function summary(result: CompareResult): string[] {
  const c = result.counts;
  return [
    `baseline ${result.baseline.runId} (${result.baseline.suiteName}, ${result.baseline.startedAt})`,
    `candidate ${result.candidate.runId} (${result.candidate.suiteName}, ${result.candidate.startedAt})`,
    `verdict: ${result.verdict === 'regression' ? 'REGRESSION' : result.verdict} (${c.regression} regression, ${c.improvement} improvement, ${c.inconclusive} inconclusive, ${c.unchanged} unchanged)`,
  ];
}

/** One line per sweep figure compared (highest good rate, saturation point). */
function sweepLines(result: CompareResult): string[] {
  return (result.sweeps ?? []).map(
    (s) =>
      `sweep ${s.model} pp${s.promptTokens} tg${s.maxTokens} ${s.metric}: ${num(s.baseline)} → ${num(s.candidate)} req/s (${signed(s.change)}) ${s.verdict === 'regression' ? 'REGRESSION' : s.verdict}${s.reason ? `: ${s.reason}` : ''}`,
  );
}

function footer(result: CompareResult, shown: number, all: boolean): string[] {
  const out: string[] = [...sweepLines(result)];
  const hidden = result.cells.reduce((n, c) => n + c.metrics.length, 0) - shown;
  if (!all && hidden > 0) out.push(`${hidden} unchanged metrics not shown (--all shows them)`);
  for (const [side, cells] of Object.entries(result.unmatched)) for (const k of cells) out.push(`only in the ${side}: ${cellName(k)}`);
  for (const w of result.warnings) out.push(`warning: ${w}`);
  return out;
}

/** The terminal table: cell, metric, both figures, change, 95% interval, verdict and why. */
export function renderCompareTable(result: CompareResult, { all = false } = {}): string {
  const rows = rowsOf(result, all);
  const table = new Table({
    head: ['cell', 'metric', 'baseline', 'candidate', 'change', '95% CI', 'verdict'],
    style: { head: [], border: [] },
  });
  for (const { cell, metric: m } of rows)
    table.push([cell, LABEL[m.metric] ?? m.metric, num(m.baseline), num(m.candidate), signed(m.change), interval(m), verdictText(m)]);
  const reasons = rows.filter((r) => r.metric.reason).map((r) => `${r.cell} ${LABEL[r.metric.metric]}: ${r.metric.reason}`);
  return `${[...summary(result), ...(rows.length > 0 ? [table.toString()] : []), ...reasons, ...footer(result, rows.length, all)].join('\n')}\n`;
}

/** A GitHub-flavoured Markdown table, with the verdict line above it. */
export function renderCompareMarkdown(result: CompareResult, { all = false } = {}): string {
  const rows = rowsOf(result, all);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    ...summary(result).map((l) => `${esc(l)}  `),
    '',
    '| cell | metric | baseline | candidate | change | 95% CI | verdict |',
    '|---|---|---:|---:|---:|---|---|',
    ...rows.map(
      ({ cell, metric: m }) =>
        `| ${esc(cell)} | ${LABEL[m.metric]} | ${num(m.baseline)} | ${num(m.candidate)} | ${signed(m.change)} | ${interval(m)} | ${m.verdict === 'regression' ? '**regression**' : m.verdict}${m.reason ? ` (${esc(m.reason)})` : ''} |`,
    ),
    '',
    ...footer(result, rows.length, all).map((l) => `- ${esc(l)}`),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
