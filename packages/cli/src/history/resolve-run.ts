import type { RunResult, Store } from '@swapbench/core';
import { ConfigError, RunNotFoundError } from '@swapbench/core/errors';

/** How many matches an ambiguous prefix lists. */
const SHOWN_MATCHES = 8;

/**
 * The stored run a user named by its id or a unique prefix of it. None → RUN_NOT_FOUND naming the id and
 * the store; several → CONFIG_INVALID listing them (both exit 2). An exact id wins over longer ids it prefixes.
 */
export async function resolveRunId(store: Store, storeUri: string, given: string): Promise<string> {
  const prefix = given.trim();
  if (prefix === '') throw new ConfigError([{ path: '<run>', message: 'is empty: give a run id (swapbench runs lists them)' }]);
  const ids = await store.runs.findIds(prefix, 2);
  if (ids[0] === prefix || ids.length === 1) return ids[0]!;
  if (ids.length === 0) {
    const err = new RunNotFoundError(prefix);
    // The class's message says which run; which store it looked in is what a user needs to fix a wrong --store.
    err.message = `run ${prefix} not found in ${storeUri} (swapbench runs lists the stored runs)`;
    throw err;
  }
  const matches = await store.runs.findIds(prefix, SHOWN_MATCHES + 1);
  const shown = matches.slice(0, SHOWN_MATCHES).join(', ') + (matches.length > SHOWN_MATCHES ? ', …' : '');
  throw new ConfigError([{ path: '<run>', message: `"${prefix}" matches several runs in ${storeUri}: ${shown}; give more of the id` }]);
}

/** The record of a run known to exist; RUN_NOT_FOUND if another process removed it meanwhile. */
export async function storedRun(store: Store, runId: string): Promise<RunResult> {
  const run = await store.runs.get(runId);
  if (!run) throw new RunNotFoundError(runId);
  return run;
}

/** The stored run a user named (see `resolveRunId`), with its record. */
export async function resolveRun(store: Store, storeUri: string, given: string): Promise<{ runId: string; run: RunResult }> {
  const runId = await resolveRunId(store, storeUri, given);
  return { runId, run: await storedRun(store, runId) };
}
