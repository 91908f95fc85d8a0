/**
 * History: for one host and model, one cell's gen tok/s and TTFT over time, the baseline drawn as a dashed
 * line and runs whose verdict against it is a regression drawn as red points; any run can be made the baseline.
 */
import type { CellResult, MetricName } from '@swapbench/core';
import { lineChart } from '../charts/chart.js';
import { h, num, replace } from '../dom.js';
import type { ViewContext } from '../view.js';
import { defaultBaselineName, type RunDetailJson, setBaseline } from './results.js';

interface Summary {
  runId: string;
  suiteName: string;
  startedAt: string;
  models: string[];
}

const cellKey = (c: Pick<CellResult, 'promptTokens' | 'maxTokens' | 'concurrency'>) =>
  `pp${c.promptTokens} tg${c.maxTokens} c${c.concurrency}`;

export async function historyView({ api, root, signal }: ViewContext): Promise<void> {
  const hosts = await api.get<{ id: string }[]>('/hosts');
  const hostSelect = h('select', { name: 'history-host' }, ...hosts.map((x) => h('option', { value: x.id }, x.id)));
  const modelSelect = h('select', { name: 'history-model' });
  const cellSelect = h('select', { name: 'history-cell' });
  const out = h('div', { class: 'history' });
  root.append(
    h('h2', {}, 'History'),
    h('label', {}, 'Host ', hostSelect),
    h('label', {}, ' Model ', modelSelect),
    h('label', {}, ' Cell ', cellSelect),
    out,
  );

  let details: RunDetailJson[] = [];
  const loadHost = async () => {
    const page = await api.get<{ items: Summary[] }>(`/runs?status=completed&limit=30&host=${encodeURIComponent(hostSelect.value)}`);
    const models = [...new Set(page.items.flatMap((r) => r.models))];
    replace(modelSelect, ...models.map((m) => h('option', { value: m }, m)));
    // Oldest first; a few at a time so a long history does not flood the server.
    details = [];
    const ids = page.items.map((r) => r.runId).reverse();
    for (let i = 0; i < ids.length && !signal.aborted; i += 4)
      details.push(...(await Promise.all(ids.slice(i, i + 4).map((id) => api.get<RunDetailJson>(`/runs/${encodeURIComponent(id)}`)))));
    loadModel();
  };
  const loadModel = () => {
    const keys = [...new Set(details.flatMap((d) => d.run.cells.filter((c) => c.model === modelSelect.value).map(cellKey)))];
    replace(cellSelect, ...keys.map((k) => h('option', { value: k }, k)));
    draw();
  };
  const draw = () => {
    replace(out);
    const model = modelSelect.value;
    const key = cellSelect.value;
    const points = details
      .map((d) => ({ d, cell: d.run.cells.find((c) => c.model === model && cellKey(c) === key) }))
      .filter((p): p is { d: RunDetailJson; cell: CellResult } => p.cell !== undefined);
    if (points.length === 0) return out.append(h('p', { class: 'muted' }, 'No completed run of this host and model yet.'));
    const x = points.map((p) => Date.parse(p.d.run.startedAt) / 1000);
    const latest = points.at(-1)!.d;
    const baselineId = latest.baseline?.runId;
    const baselineCell = points.find((p) => p.d.run.runId === baselineId)?.cell;
    const compared = points.map((p) => p.d.comparison?.cells.find((c) => c.model === model && cellKey(c) === key));
    const regressed = compared.map((c) => c?.verdict === 'regression');
    // A chart's red points are the runs whose own metric regressed, not any metric of the cell.
    const metricRegressed = (name: MetricName) => compared.map((c) => c?.metrics.find((m) => m.metric === name)?.verdict === 'regression');
    const chart = (title: string, unit: string, name: MetricName, metric: (c: CellResult) => number | null) =>
      lineChart(out, {
        title: `${model} ${key}: ${title}`,
        xLabel: 'started',
        yLabel: unit,
        xScale: 'time',
        x,
        width: 720,
        series: [
          { label: title, values: points.map((p) => metric(p.cell)) },
          ...(baselineCell
            ? [{ label: `baseline ${latest.baseline?.name}`, values: x.map(() => metric(baselineCell)), color: '#6b7280', dash: [6, 4] }]
            : []),
          {
            label: 'regression',
            values: metricRegressed(name).map((r, i) => (r ? metric(points[i]!.cell) : null)),
            color: '#dc2626',
            pointsOnly: true,
          },
        ],
      });
    chart('gen tok/s p50', 'tok/s', 'genTps', (c) => c.genTps.p50);
    chart('TTFT p50', 'ms', 'ttftMs', (c) => c.ttftMs.p50);
    out.append(runsTable(points, regressed, baselineId));
  };
  const runsTable = (points: { d: RunDetailJson; cell: CellResult }[], regressed: boolean[], baselineId: string | undefined) =>
    h(
      'table',
      { class: 'history-runs' },
      h('thead', {}, h('tr', {}, ...['started', 'run', 'suite', 'gen t/s', 'TTFT ms', 'verdict', ''].map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        ...points
          .map((p, i) => {
            const run = p.d.run;
            const name = defaultBaselineName(run);
            const button = h('button', { type: 'button', name: 'history-set-baseline', 'data-run': run.runId }, 'Set baseline');
            button.addEventListener('click', async () => {
              try {
                if (await setBaseline(api, name, run.runId)) await loadHost();
              } catch (err) {
                // Said next to the button, not lost as an unhandled rejection.
                button.after(h('span', { class: 'error', role: 'alert' }, ` ${(err as Error).message}`));
              }
            });
            return h(
              'tr',
              { class: regressed[i] ? 'v-regression' : undefined },
              h('td', {}, run.startedAt),
              h('td', {}, h('a', { href: `#/results/${run.runId}` }, run.runId.slice(0, 8))),
              h('td', {}, run.suite.name),
              h('td', {}, num(p.cell.genTps.p50)),
              h('td', {}, num(p.cell.ttftMs.p50)),
              h('td', {}, run.runId === baselineId ? 'baseline' : (p.d.comparison?.verdict ?? '—')),
              h('td', {}, run.runId === baselineId ? '' : button),
            );
          })
          .reverse(),
      ),
    );
  hostSelect.addEventListener('change', () => void loadHost());
  modelSelect.addEventListener('change', loadModel);
  cellSelect.addEventListener('change', draw);
  if (hosts.length > 0) await loadHost();
}
