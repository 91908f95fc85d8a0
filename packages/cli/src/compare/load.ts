/** Reading the two sides of a comparison from the store: by baseline name, run id or id prefix. */
import type { ComparedInput, RunResult, Sample, Store } from '@swapbench/core';

export { defaultBaselineName } from '@swapbench/core';

/** A run and its samples, read in full. */
export async function loadCompared(store: Store, runId: string): Promise<ComparedInput> {
  const { storedRun } = await import('../history/resolve-run.js');
  const run = await storedRun(store, runId);
  const samples: Sample[] = [];
  for await (const s of store.runs.samples(runId)) if (s.phase === 'measured') samples.push(s);
  return { run, samples };
}

/**
 * The run a user named for a comparison: a baseline's name when one is stored under it, else a run id or a
 * unique prefix (RUN_NOT_FOUND or CONFIG_INVALID, exit 2, otherwise).
 */
export async function resolveComparedRun(store: Store, storeUri: string, given: string): Promise<string> {
  const baseline = await store.baselines.get(given.trim());
  if (baseline) return baseline.runId;
  const { resolveRunId } = await import('../history/resolve-run.js');
  return resolveRunId(store, storeUri, given);
}

/** Why a run should not become a baseline (its client was saturated, foreign traffic hit the host), if any. */
export function baselineObjection(run: RunResult): string | undefined {
  if (run.status !== 'completed') return `it ended ${run.status}`;
  if (run.client?.clientSaturated) return 'its client was saturated (its timings include client delay)';
  if (run.polluted === true) return 'foreign traffic hit the host during it (polluted)';
  return undefined;
}
