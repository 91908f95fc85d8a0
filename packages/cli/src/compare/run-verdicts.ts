/** The `vs base` column of `swapbench runs`: each run's verdict against the baseline that was current for it. */
import type { BaselineRecord, ComparedInput, RunResult, Store } from '@swapbench/core';
import { defaultBaselineName, loadCompared } from './load.js';
import { VERDICT_SHORT } from './render.js';

/**
 * Per run: `base` for the run a baseline points at, `ok` / `REGRESSION` / `better` / `?` against the baseline
 * of its host and suite when that baseline was set before the run started, else `–` (none to compare with).
 * Baselines are read once per name and each baseline run once.
 */
export async function runVerdicts(store: Store, runs: readonly (RunResult | undefined)[]): Promise<string[]> {
  const { compareRuns } = await import('@swapbench/core');
  const baselines = new Map<string, Promise<BaselineRecord | undefined>>();
  const loaded = new Map<string, Promise<ComparedInput>>();
  const load = (id: string) => {
    const p = loaded.get(id) ?? loadCompared(store, id);
    loaded.set(id, p);
    return p;
  };
  const out: string[] = [];
  for (const run of runs) {
    if (!run) {
      out.push('–');
      continue;
    }
    const name = defaultBaselineName(run);
    const pending = baselines.get(name) ?? store.baselines.get(name);
    baselines.set(name, pending);
    const record = await pending;
    if (record?.runId === run.runId) out.push('base');
    else if (!record || record.setAt > run.startedAt || run.status !== 'completed') out.push('–');
    else {
      const result = await load(record.runId)
        .then(async (base) => compareRuns(base, await load(run.runId)))
        .catch(() => undefined);
      out.push(result ? VERDICT_SHORT[result.verdict] : '–');
    }
  }
  return out;
}
