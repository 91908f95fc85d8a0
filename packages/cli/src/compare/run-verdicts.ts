/** The `vs base` column of `swapbench runs`: each run's verdict against the baseline that was current for it. */
import type { BaselineRecord, ComparedInput, RunResult, Store } from '@swapbench/core';
import { findAutoBaseline } from '@swapbench/core';
import { defaultBaselineName, loadCompared } from './load.js';
import { VERDICT_SHORT } from './render.js';

/**
 * Per run: `base` for the run a baseline points at, `ok` / `REGRESSION` / `better` / `?` against the baseline
 * of its host and suite (under any of the server's names, as `run --baseline auto` finds it) when that baseline
 * was set before the run started, else `–` (none to compare with). Baselines are looked up once per server and
 * suite, and each baseline run is read once.
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
    // One lookup per server and suite: the baseline may be stored under another of the server's names.
    const key = `${defaultBaselineName(run)} ${run.host.baseUrl}`;
    const pending = baselines.get(key) ?? findAutoBaseline(store, run).then((found) => found.record);
    baselines.set(key, pending);
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
