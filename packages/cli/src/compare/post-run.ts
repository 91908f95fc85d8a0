/** `run --baseline`: the comparison of a finished run with its baseline, printed after the report. */
import type { CompareResult, RunResult, Store } from '@swapbench/core';
import { findAutoBaseline } from '@swapbench/core';
import { loadCompared, resolveComparedRun } from './load.js';

/** What `--baseline` named, resolved before the run so a typo fails at once rather than after measuring. */
export type BaselineTarget = { kind: 'auto' } | { kind: 'run'; runId: string };

export async function resolveBaselineFlag(store: Store, storeUri: string, given: string): Promise<BaselineTarget> {
  if (given.trim() === 'auto') return { kind: 'auto' };
  return { kind: 'run', runId: await resolveComparedRun(store, storeUri, given) };
}

/**
 * Compare `result` with its baseline. Returns the comparison, or null with a note saying why there is none
 * (no baseline yet for this host and suite, the run did not complete, the run is its own baseline). With
 * `auto`, the note of a comparison names the baseline used: it may be stored under another name of the server.
 */
export async function compareWithBaseline(
  store: Store,
  target: BaselineTarget,
  result: RunResult,
): Promise<{ comparison: CompareResult | null; note?: string }> {
  if (result.status !== 'completed') return { comparison: null, note: `not compared with a baseline: the run ended ${result.status}` };
  let baselineId: string;
  let note: string | undefined;
  if (target.kind === 'auto') {
    const { name, record, note: which } = await findAutoBaseline(store, result);
    if (!record) return { comparison: null, note: `no baseline "${name}" yet: swapbench baseline set ${result.runId} makes this run it` };
    baselineId = record.runId;
    note = which;
  } else {
    baselineId = target.runId;
  }
  if (baselineId === result.runId) return { comparison: null, note: 'not compared: this run is the baseline' };
  const { compareRuns } = await import('@swapbench/core');
  const samples = [];
  for await (const s of store.runs.samples(result.runId)) if (s.phase === 'measured') samples.push(s);
  const comparison = compareRuns(await loadCompared(store, baselineId), { run: result, samples });
  return note === undefined ? { comparison } : { comparison, note };
}
