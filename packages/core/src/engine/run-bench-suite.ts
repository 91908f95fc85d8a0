import { parseSuite } from '../suite/load-suite.js';
import type { Suite, SuiteInput } from '../suite/schema.js';
import type { RunResult } from '../result/types.js';
import type { HostLease } from '../host-access/host-access.js';
import { clientInfo } from './environment.js';
import { modelCellCount, runModelCells, runSize } from './phases/cells.js';
import { finalize, recordRunError } from './phases/finalize.js';
import { preflight } from './phases/preflight.js';
import { prepareModel } from './phases/prepare-model.js';
import { createRunContext, type RunBenchSuiteOptions } from './run-context.js';
import { redactUrl } from '../util/redact-url.js';
import { SwapbenchError } from '../errors/errors.js';
import { type PromptSetEntry, readPromptSet } from './load/prompt-set.js';
import { checkWorkerOptions, closeWorkers } from './workers/run-cell-on-workers.js';
import { checkRunnerOptions } from './runners/remote-runners.js';

export type { RunBenchSuiteOptions } from './run-context.js';

/**
 * Run a benchmark suite: preflight, then for each model its preparation (cold start, prompt calibration,
 * swaps, warmup) and its cells (the grid of prompt sizes × output lengths × concurrency levels, each with
 * exactly C requests in flight), then finalize. Every sample is stored as it completes. Resolves with the
 * run's result, also when cancelled or failed; rejects only for an invalid suite (ConfigError), or when
 * `hostAccess` refuses the host (`HostBusyError`, `LeaseHeldError`; nothing is stored then).
 */
export async function runBenchSuite(suiteInput: SuiteInput | Suite, options: RunBenchSuiteOptions): Promise<RunResult> {
  const suite = parseSuite(suiteInput);
  checkWorkerOptions(suite, options.workerTransport); // issue #21
  checkRunnerOptions(suite, options.runners, options.workerTransport !== undefined); // issue #21 (runners)
  // A prompt set it cannot read is an invalid suite: refused before the host is asked for.
  const promptSet = suite.prompts ? await readPromptSet(suite.prompts) : undefined;
  // Before anything is stored or sent: a refusal rejects, and the run never existed.
  const lease = await options.hostAccess?.({
    hostId: options.hostId ?? hostKey(options.transport.baseUrl),
    purpose: options.jobType ?? 'bench',
    signal: options.signal,
  });
  try {
    return await runWithAccess(suite, options, lease, promptSet);
  } finally {
    await lease?.release();
  }
}

async function runWithAccess(
  suite: Suite,
  options: RunBenchSuiteOptions,
  lease: HostLease | undefined,
  promptSet: PromptSetEntry[] | undefined,
): Promise<RunResult> {
  const ctx = createRunContext(suite, options, clientInfo(), promptSet);
  const startedAt = ctx.clock();
  // Another job took the host (our lease ran out unrenewed): stop starting requests.
  const onLost = () => {
    const reason = lease?.lost.reason;
    if (SwapbenchError.is(reason)) ctx.halt(reason);
  };
  lease?.lost.addEventListener('abort', onLost, { once: true });
  try {
    const size = runSize(suite);
    ctx.emit({ type: 'run-start', suite, cells: size.cells, requests: size.requests });
    for (const note of lease?.notes ?? []) ctx.warn(note);
    ctx.emit({ type: 'phase', phase: 'preflight' });
    await preflight(ctx);
    const perModel = modelCellCount(suite);
    for (const [i, model] of suite.models.entries()) {
      if (ctx.stopSignal.aborted) break;
      const prepared = await prepareModel(ctx, model);
      await runModelCells(ctx, prepared, i * perModel, size.cells);
    }
  } catch (err) {
    recordRunError(ctx, err);
  } finally {
    lease?.lost.removeEventListener('abort', onLost);
    await closeWorkers(ctx); // issue #21
    ctx.dispose();
  }
  // Client health is watched per cell (`runModelCells`); finalize rolls it up.
  return finalize(ctx, startedAt);
}

/**
 * An unregistered host's lease key: its address (`127.0.0.1:8080`, plus any path), never its credentials,
 * and without "/" (a file store keeps a lease per file, named by the key).
 */
function hostKey(baseUrl: string): string {
  try {
    const url = new URL(redactUrl(baseUrl));
    const path = url.pathname.replace(/\/+$/, '');
    return `${url.host}${path.replaceAll('/', '_')}`;
  } catch {
    return redactUrl(baseUrl).replaceAll('/', '_');
  }
}
