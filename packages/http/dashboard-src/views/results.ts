/** Results: one run's charts, cells and verdicts against its baseline, and a button to make it the baseline. */
import type { CompareResult, RunResult } from '@swapbench/core';
import { renderRunResults } from '../charts/run-results.js';
import { ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import type { ViewContext } from '../view.js';

export interface RunDetailJson {
  run: RunResult;
  live: boolean;
  baseline: { name: string; runId: string } | null;
  comparison: CompareResult | null;
}

/** The baseline name the CLI and the API use by default: `<suite>@<host>`. */
export function defaultBaselineName(run: Pick<RunResult, 'suite' | 'host'>): string {
  const host = run.host.id ?? run.host.baseUrl.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  return `${run.suite.name}@${host}`;
}

export async function resultsView(ctx: ViewContext, runId: string): Promise<void> {
  const { api, root } = ctx;
  const detail = await api.get<RunDetailJson>(`/runs/${encodeURIComponent(runId)}`);
  if (detail.live) return ctx.go(`#/live/${runId}`);
  const name = defaultBaselineName(detail.run);
  const message = h('span', { class: 'baseline-message', role: 'status' });
  const isBaseline = detail.baseline?.runId === detail.run.runId;
  const set = h(
    'button',
    { type: 'button', name: 'set-baseline', disabled: isBaseline },
    isBaseline ? `Baseline ${name}` : `Set as baseline ${name}`,
  );
  set.addEventListener('click', async () => {
    try {
      if (!(await setBaseline(api, name, detail.run.runId))) return;
      set.disabled = true;
      replace(message, `baseline ${name} is now this run`);
    } catch (err) {
      replace(message, h('span', { class: 'error' }, (err as Error).message));
    }
  });
  root.append(h('div', { class: 'toolbar' }, set, ' ', message, ' ', h('a', { href: `#/history` }, 'History')));
  renderRunResults(root, detail);
}

/**
 * Make `runId` the baseline `name`. A run the server objects to (not completed, polluted, saturated client:
 * 409) becomes it only once the user confirms, with `force`. Resolves false when the user declined.
 */
export async function setBaseline(api: ViewContext['api'], name: string, runId: string): Promise<boolean> {
  const path = `/baselines/${encodeURIComponent(name)}`;
  try {
    await api.call('PUT', path, { runId });
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    if (!confirm(`${err.message}\n\nMake it the baseline anyway?`)) return false;
    await api.call('PUT', path, { runId, force: true });
    return true;
  }
}
