/**
 * A run's results: verdict against the baseline, per-cell charts (gen tok/s and TTFT by concurrency and by
 * prompt size, the ITL distribution), the cells table with polluted and flagged cells marked, and the errors
 * with the server's messages. The same code draws the dashboard's Results view and the HTML report.
 */
import type { CellComparison, CellResult, CompareResult, RunResult } from '@swapbench/core';
import { h, num, pct } from '../dom.js';
import { distinct, lineChart } from './chart.js';

export interface RunResultsInput {
  run: RunResult;
  comparison: CompareResult | null;
  baseline: { name: string; runId: string } | null;
}

/** Render into `root` (appended); returns the sections, so a caller can add buttons to them. */
export function renderRunResults(root: HTMLElement, { run, comparison, baseline }: RunResultsInput): void {
  root.append(
    h(
      'section',
      { class: 'run-head' },
      h('h2', {}, `${run.suite.name} — ${run.status}`),
      h(
        'p',
        { class: 'muted' },
        `run ${run.runId} on ${run.host.id ?? run.host.baseUrl}, started ${run.startedAt}`,
        run.durationMs ? `, ${num(run.durationMs / 1000, 1)} s` : '',
      ),
      verdictBanner(comparison, baseline),
      run.notes.length > 0 ? h('ul', { class: 'notes' }, ...run.notes.map((n) => h('li', {}, n))) : null,
    ),
  );
  const cells = run.cells.filter((c) => c.n > 0);
  const charts = h('section', { class: 'charts', 'data-charts': '' });
  root.append(h('h3', {}, 'Charts'), charts);
  if (cells.length === 0) charts.append(h('p', { class: 'muted' }, 'No measured cells yet.'));
  else drawCellCharts(charts, cells);
  root.append(h('h3', {}, 'Cells'), cellsTable(run.cells, comparison));
  if (comparison) root.append(h('h3', {}, 'Verdicts'), verdictTable(comparison));
  if (run.errors.length > 0) root.append(h('h3', {}, 'Errors'), errorsList(run));
}

function verdictBanner(comparison: CompareResult | null, baseline: RunResultsInput['baseline']): HTMLElement {
  if (!comparison)
    return h('p', { class: 'verdict none', 'data-verdict': 'none' }, baseline ? `baseline ${baseline.name} (this run)` : 'no baseline set');
  const c = comparison.counts;
  return h(
    'div',
    { class: `verdict ${comparison.verdict}`, 'data-verdict': comparison.verdict },
    h('strong', {}, comparison.verdict),
    ` against baseline ${baseline?.name ?? ''} (run ${comparison.baseline.runId.slice(0, 8)}): `,
    `${c.regression} regression, ${c.improvement} improvement, ${c.inconclusive} inconclusive, ${c.unchanged} unchanged metric(s)`,
    ...comparison.warnings.map((w) => h('div', { class: 'warning' }, w)),
  );
}

const keyOf = (c: { model: string; promptTokens: number; maxTokens: number; concurrency: number }) =>
  `${c.model}|${c.promptTokens}|${c.maxTokens}|${c.concurrency}`;

function drawCellCharts(parent: HTMLElement, cells: CellResult[]): void {
  const byConc = distinct(cells.map((c) => c.concurrency));
  const byPrompt = distinct(cells.map((c) => c.promptTokens));
  // One line per cell family: everything but the x axis fixed.
  const families = (
    xOf: (c: CellResult) => number,
    rest: (c: CellResult) => string,
    xs: number[],
    metric: (c: CellResult) => number | null,
  ) => {
    const groups = new Map<string, Map<number, number | null>>();
    for (const c of cells) {
      const g = groups.get(rest(c)) ?? new Map<number, number | null>();
      g.set(xOf(c), metric(c));
      groups.set(rest(c), g);
    }
    return [...groups].map(([label, points]) => ({ label, values: xs.map((x) => points.get(x) ?? null) }));
  };
  const restConc = (c: CellResult) => `${c.model} pp${c.promptTokens} tg${c.maxTokens}`;
  const restPrompt = (c: CellResult) => `${c.model} tg${c.maxTokens} c${c.concurrency}`;
  const gen = (c: CellResult) => c.genTps.p50;
  const ttft = (c: CellResult) => c.ttftMs.p50;
  const spec = (title: string, xLabel: string, yLabel: string, x: number[], series: ReturnType<typeof families>) => ({
    title,
    xLabel,
    yLabel,
    x,
    series,
    xScale: 'log2' as const,
  });
  lineChart(
    parent,
    spec(
      'gen tok/s (p50) by concurrency',
      'concurrency',
      'tok/s',
      byConc,
      families((c) => c.concurrency, restConc, byConc, gen),
    ),
  );
  lineChart(
    parent,
    spec(
      'TTFT (p50) by concurrency',
      'concurrency',
      'ms',
      byConc,
      families((c) => c.concurrency, restConc, byConc, ttft),
    ),
  );
  lineChart(
    parent,
    spec(
      'gen tok/s (p50) by prompt size',
      'prompt tokens',
      'tok/s',
      byPrompt,
      families((c) => c.promptTokens, restPrompt, byPrompt, gen),
    ),
  );
  lineChart(
    parent,
    spec(
      'TTFT (p50) by prompt size',
      'prompt tokens',
      'ms',
      byPrompt,
      families((c) => c.promptTokens, restPrompt, byPrompt, ttft),
    ),
  );
  // The ITL distribution as the cell's pooled percentiles, evenly spaced so the tail (p90…max) stays readable.
  const names = ['min', 'p50', 'p90', 'p95', 'p99', 'max'];
  lineChart(parent, {
    title: 'inter-token latency distribution',
    xLabel: 'percentile',
    yLabel: 'ms',
    x: names.map((_, i) => i),
    xTicks: (x) => names[x] ?? '',
    series: cells.map((c) => {
      const s = c.itlMs;
      return {
        label: `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`,
        values: [s.min, s.p50, s.p90, s.p95, s.p99, s.max],
      };
    }),
  });
}

/** Why a cell deserves a second look: polluted, saturated client, cut short, flagged samples. */
export function cellMarks(cell: CellResult): string[] {
  const marks: string[] = [];
  if (cell.polluted) marks.push(`polluted(${cell.concurrentForeignRequests?.peak ?? '?'} foreign)`);
  if (cell.client?.saturated) marks.push('client saturated');
  if (cell.partial) marks.push('partial');
  for (const [flag, count] of Object.entries(cell.flags ?? {})) if (count) marks.push(`${flag}×${count}`);
  return marks;
}

function cellsTable(cells: CellResult[], comparison: CompareResult | null): HTMLElement {
  const verdicts = new Map<string, CellComparison>((comparison?.cells ?? []).map((c) => [keyOf(c), c]));
  const head = ['model', 'pp', 'tg', 'conc', 'n', 'errors', 'gen t/s p50', 'TTFT p50 ms', 'ITL p99 ms', 'thru t/s', 'marks', 'verdict'];
  return h(
    'table',
    { class: 'cells' },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...cells.map((c) => {
        const marks = cellMarks(c);
        const v = verdicts.get(keyOf(c));
        return h(
          'tr',
          { class: [marks.length ? 'flagged' : '', c.polluted ? 'polluted' : ''].join(' ').trim() || undefined, 'data-cell': keyOf(c) },
          h('td', {}, c.model),
          h('td', {}, c.promptTokens),
          h('td', {}, c.maxTokens),
          h('td', {}, c.concurrency),
          h('td', {}, c.n),
          h('td', { class: c.errors ? 'bad' : undefined }, c.errors),
          h('td', {}, num(c.genTps.p50)),
          h('td', {}, num(c.ttftMs.p50)),
          h('td', {}, num(c.itlMs.p99, 2)),
          h('td', {}, num(c.throughputTps)),
          h('td', {}, ...marks.map((m) => h('span', { class: 'mark' }, m))),
          h('td', { class: v ? `v-${v.verdict}` : undefined }, v?.verdict ?? '—'),
        );
      }),
    ),
  );
}

/** Every metric that did not stay unchanged, with its change and interval. */
function verdictTable(comparison: CompareResult): HTMLElement {
  const cellLabel = (c: { model: string; promptTokens: number; maxTokens: number; concurrency: number }) =>
    `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`;
  const rows = comparison.cells.flatMap((cell) =>
    cell.metrics
      .filter((m) => m.verdict !== 'unchanged')
      .map((m) =>
        h(
          'tr',
          { class: `v-${m.verdict}` },
          h('td', {}, cellLabel(cell)),
          h('td', {}, m.metric),
          h('td', {}, num(m.baseline, 2)),
          h('td', {}, num(m.candidate, 2)),
          h('td', {}, pct(m.change)),
          h('td', {}, m.ci ? `${pct(m.ci.low)} … ${pct(m.ci.high)}` : '—'),
          h('td', {}, m.verdict),
          h('td', { class: 'muted' }, m.reason ?? ''),
        ),
      ),
  );
  const unmatched = [
    ...comparison.unmatched.baseline.map((c) => `only in the baseline: ${cellLabel(c)}`),
    ...comparison.unmatched.candidate.map((c) => `only in this run: ${cellLabel(c)}`),
  ];
  return h(
    'div',
    {},
    rows.length === 0
      ? h(
          'p',
          { class: 'muted' },
          // With no cell in both runs nothing was compared: saying "unchanged" would claim a result.
          comparison.cells.length === 0 ? 'No cell is in both runs: nothing was compared.' : 'Every metric of every cell is unchanged.',
        )
      : h(
          'table',
          { class: 'verdicts' },
          h(
            'thead',
            {},
            h('tr', {}, ...['cell', 'metric', 'baseline', 'this run', 'change', '95% CI', 'verdict', 'reason'].map((t) => h('th', {}, t))),
          ),
          h('tbody', {}, ...rows),
        ),
    ...unmatched.map((u) => h('p', { class: 'muted' }, u)),
  );
}

function errorsList(run: RunResult): HTMLElement {
  return h(
    'ul',
    { class: 'errors' },
    ...run.errors.map((e) =>
      h(
        'li',
        {},
        h('strong', {}, `${e.code}${e.status ? ` (HTTP ${e.status})` : ''} ×${e.count}: `),
        h('span', { class: 'server-message' }, e.message),
        // Named as the cells table and the CLI name them, not by the internal key.
        h(
          'div',
          { class: 'muted' },
          `cells: ${[
            ...e.cells.map((c) => `${c.model} pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`),
            ...(e.beforeCells ?? []).map((m) => `${m} before its cells`),
          ].join(', ')}`,
        ),
      ),
    ),
  );
}
