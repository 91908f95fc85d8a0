import { randomUUID } from 'node:crypto';
import { errorCode, HostUnreachableError, SwapbenchError } from '../errors/errors.js';
import { createMemoryStore } from '../store/memory/index.js';
import type { Store } from '../store/store.js';
import { parseSuite } from '../suite/load-suite.js';
import type { Suite, SuiteInput } from '../suite/schema.js';
import type { StreamRequest, Transport } from '../transport/transport.js';
import { aggregateCell } from './aggregate.js';
import { watchClientHealth } from './client-health.js';
import { clientInfo } from './environment.js';
import type { BenchEvent } from './events.js';
import { measureRequest, type MeasureContext } from './measure.js';
import { buildPrompt, estimatePlan, nonce, planPrompt, type PromptPlan } from './prompts.js';
import { runSlidingWindow } from './sliding-window.js';
import { computeStats } from './stats.js';
import type { CellKey, ColdStart, RunResult, Sample, SampleFlag, SwapResult } from '../result/types.js';

/** Options of `runBenchSuite`. */
export interface RunBenchSuiteOptions {
  /** How to reach the server. */
  transport: Transport;
  /** Where samples and the result are kept as they are measured; default: a fresh in-memory store. */
  store?: Store;
  /** Abort to stop: in-flight requests are cancelled and the run ends `cancelled` with what it measured. */
  signal?: AbortSignal;
  /** Progress events for live UIs. A listener that throws is ignored. */
  onEvent?: (event: BenchEvent) => void;
  /** Monotonic clock in ms; default `performance.now`. Must be the transport's clock too. */
  clock?: () => number;
  /** Run id to use; default a random UUID. */
  runId?: string;
}

const FLAG_NOTES: Record<SampleFlag, string> = {
  'warm-cache': 'reused cached prompt tokens although the suite busts the cache (prompt speed is flattered)',
  'length-mismatch': 'generated a different number of tokens than asked despite ignoreEos',
  'prompt-size-mismatch': 'evaluated a different prompt size than asked',
};

/**
 * Run a benchmark suite: for each model, a cold-start check, optional swap measurements, warmup, then the
 * grid of prompt sizes × output lengths × concurrency levels, each cell with exactly C requests in flight.
 * Every sample is stored as it completes. Resolves with the run's result, also when cancelled; rejects only
 * for an invalid suite (ConfigError).
 */
export async function runBenchSuite(suiteInput: SuiteInput | Suite, options: RunBenchSuiteOptions): Promise<RunResult> {
  const suite = parseSuite(suiteInput);
  const { transport } = options;
  const store = options.store ?? createMemoryStore();
  const clock = options.clock ?? (() => performance.now());
  const runId = options.runId ?? randomUUID();
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;

  let seq = 0;
  const emit = (event: DistributiveOmit<BenchEvent, 'seq' | 'runId'>): void => {
    try {
      options.onEvent?.({ ...event, seq: seq++, runId } as BenchEvent);
    } catch {
      // A broken UI must not break the measurement.
    }
  };

  const result: RunResult = {
    runId,
    status: 'running',
    suite,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    durationMs: null,
    cells: [],
    coldStarts: [],
    swaps: [],
    calibration: [],
    environment: { client: clientInfo() },
    client: { clientSaturated: false, eventLoopDelayP99Ms: null, eventLoopDelayMaxMs: null },
    notes: [],
  };
  const sink = createSampleSink(store, runId, (message) => result.notes.push(message));
  const health = watchClientHealth();
  const tStart = clock();
  let sampleSeq = 0;
  let requestNumber = parseInt(runId.replace(/[^0-9a-f]/gi, '').slice(0, 5) || '0', 16);

  try {
    await store.runs.create(result, { signal });
    result.environment.server = await transport.describe?.(suite.models, { signal }).catch(() => undefined);
    await preflight(transport, suite, result.notes, signal);
    const cellsTotal = suite.models.length * suite.promptTokens.length * suite.maxTokens.length * suite.concurrency.length;
    const requestsPerModel = suite.promptTokens.length * suite.maxTokens.length * suite.concurrency.reduce((a, c) => a + c * suite.repetitions, 0);
    emit({ type: 'run-start', suite, cells: cellsTotal, requests: requestsPerModel * suite.models.length });

    let cellIndex = 0;
    for (const model of suite.models) {
      if (signal.aborted) break;
      const running = await transport.runningModels?.({ signal }).catch(() => undefined);
      const loadedBefore = running === undefined ? undefined : running.includes(model);
      emit({ type: 'model-start', model, loadedBefore });

      const plans = new Map<number, PromptPlan>();
      const send = async (phase: Sample['phase'], cell: CellKey, coldStart?: boolean, plan = plans.get(cell.promptTokens)!): Promise<Sample | undefined> => {
        const prefix = suite.cache === 'bust' ? nonce(requestNumber++) : '';
        const request: StreamRequest = {
          ...buildPrompt(suite.endpoint, plan.words, prefix, promptSeed(cell.promptTokens), plan.pad),
          model,
          maxTokens: cell.maxTokens,
          sampling: suite.sampling,
          ignoreEos: suite.ignoreEos,
          cachePrompt: suite.cache === 'reuse',
        };
        const ctx: MeasureContext = {
          transport,
          clock,
          runSignal: signal,
          timeoutMs: suite.requestTimeoutMs,
          requestedPromptTokens: cell.promptTokens,
          ignoreEos: suite.ignoreEos,
          bustCache: suite.cache === 'bust',
        };
        const m = await measureRequest(ctx, request);
        if (!m) return undefined;
        const sample: Sample = { ...m, ...cell, runId, seq: sampleSeq++, phase, ...(coldStart ? { coldStart } : {}) };
        sink.push(sample);
        emit({ type: 'sample', sample });
        return sample;
      };

      const first: CellKey = { model, promptTokens: suite.promptTokens[0]!, maxTokens: suite.maxTokens[0]!, concurrency: 1 };
      const coldStart: ColdStart = { model, loadedBefore };
      result.coldStarts.push(coldStart);
      let warmups = suite.warmup;
      if (loadedBefore === false) {
        // The first request pays for the model load: keep it apart as the cold start, out of the aggregates.
        // It goes before calibration, whose tokenizer calls through llama-swap would load the model first.
        const plan = estimatePlan(suite.endpoint, first.promptTokens, suite.cache === 'bust');
        const cold = await send('warmup', first, true, plan);
        coldStart.coldStartMs = cold?.ttftMs;
        warmups = Math.max(0, warmups - 1);
      }
      if (transport.kind === 'llama-swap' && !result.environment.server?.props?.[model]) {
        // llama-swap only describes loaded models (asking would load them); this one is loaded now.
        const info = await transport.describe?.([model], { signal }).catch(() => undefined);
        const server = result.environment.server;
        if (info?.props?.[model] && server) server.props = { ...server.props, [model]: info.props[model] };
      }
      for (const target of suite.promptTokens) {
        const plan = await planPrompt(transport, model, suite.endpoint, target, suite.cache === 'bust', promptSeed(target), signal);
        plans.set(target, plan);
        if (plan.note) result.notes.push(`${model}, ${target}-token prompt: ${plan.note}`);
      }
      const methods = new Set([...plans.values()].map((p) => p.method));
      result.calibration.push({ model, method: methods.has('estimate') ? 'estimate' : 'tokenizer' });

      if (suite.swaps > 0) await measureSwaps(model, first);
      for (let i = 0; i < warmups && !signal.aborted; i++) await send('warmup', first);

      for (const promptTokens of suite.promptTokens) {
        for (const maxTokens of suite.maxTokens) {
          for (const concurrency of suite.concurrency) {
            if (signal.aborted) break;
            const cell: CellKey = { model, promptTokens, maxTokens, concurrency };
            emit({ type: 'cell-start', cell, index: cellIndex, total: cellsTotal });
            const samples: Sample[] = [];
            const t0 = clock();
            await runSlidingWindow(concurrency * suite.repetitions, concurrency, async () => {
              const s = await send('measured', cell);
              if (s) samples.push(s);
            }, signal);
            if (samples.length === 0 && signal.aborted) break;
            const aggregate = aggregateCell(cell, samples, clock() - t0);
            result.cells.push(aggregate);
            emit({ type: 'cell-done', cell: aggregate, index: cellIndex, total: cellsTotal });
            cellIndex++;
          }
        }
      }

      async function measureSwaps(model: string, cell: CellKey): Promise<void> {
        if (!transport.unload) {
          result.notes.push(`swaps: ${suite.swaps} requested, but a ${transport.kind} server cannot unload models; swap time not measured`);
          return;
        }
        const swap: SwapResult = { model, swapMs: [], stats: computeStats([]) };
        result.swaps.push(swap);
        for (let i = 0; i < suite.swaps && !signal.aborted; i++) {
          await transport.unload(model, { signal });
          // Swap time = cold TTFT − warm TTFT of the same request, so prompt work is not counted as load.
          const cold = await send('swap', cell, true);
          const warm = await send('swap', cell);
          const swapMs = cold?.ttftMs !== undefined && warm?.ttftMs !== undefined ? cold.ttftMs - warm.ttftMs : undefined;
          if (swapMs !== undefined) swap.swapMs.push(swapMs);
          emit({ type: 'swap', model, index: i, swapMs });
        }
        swap.stats = computeStats(swap.swapMs);
      }
    }
  } catch (err) {
    if (!signal.aborted) {
      result.status = 'failed';
      result.error = { code: errorCode(err), message: err instanceof Error ? err.message : String(err) };
      if (!SwapbenchError.is(err)) result.notes.push(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  result.client = health.stop();
  result.durationMs = clock() - tStart;
  result.finishedAt = new Date().toISOString();
  if (signal.aborted) {
    result.status = 'cancelled';
    result.notes.push('run cancelled; results cover what was measured before it stopped');
  } else if (result.status === 'running') {
    const measured = result.cells.reduce((a, c) => a + c.n, 0);
    const failed = result.cells.reduce((a, c) => a + c.errors, 0);
    result.status = measured > 0 && failed === measured ? 'failed' : 'completed';
    if (result.status === 'failed') {
      const codes = new Set(result.cells.flatMap((c) => Object.keys(c.errorCodes)));
      result.error = { code: 'RUN_FAILED', message: `all ${measured} measured requests failed (${[...codes].join(', ')})` };
    }
  }
  addFlagNotes(result);
  if (result.client.clientSaturated) {
    result.notes.push(`client saturated: its event loop lagged ${result.client.eventLoopDelayP99Ms?.toFixed(1)} ms at p99, so timings are late by up to that much`);
  }
  await sink.flush();
  await store.runs.finish(result).catch((err: unknown) => result.notes.push(`could not store the result: ${String(err)}`));
  emit({ type: 'run-done', result });
  return result;
}

/** Check the server is there before measuring; warn about models it does not list. */
async function preflight(transport: Transport, suite: Suite, notes: string[], signal: AbortSignal): Promise<void> {
  try {
    const models = await transport.listModels({ signal });
    const ids = new Set(models.map((m) => m.id));
    // A single-model llama-server answers whatever model is asked for, so only warn elsewhere.
    if (transport.kind !== 'llama-server') {
      for (const model of suite.models) if (!ids.has(model)) notes.push(`model "${model}" is not in the server's list (${[...ids].join(', ')})`);
    }
  } catch (err) {
    if (signal.aborted || err instanceof HostUnreachableError) throw err;
    notes.push(`could not list models: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function addFlagNotes(result: RunResult): void {
  const totals: Partial<Record<SampleFlag, number>> = {};
  for (const cell of result.cells) for (const [flag, n] of Object.entries(cell.flags)) totals[flag as SampleFlag] = (totals[flag as SampleFlag] ?? 0) + (n ?? 0);
  for (const [flag, n] of Object.entries(totals)) if (n) result.notes.push(`${n} sample(s) ${FLAG_NOTES[flag as SampleFlag]} [${flag}]`);
}

/** The same filler text for every request of a prompt size; the nonce makes each unique. */
function promptSeed(promptTokens: number): number {
  return 7919 * promptTokens + 17;
}

/** Appends samples to the store off the hot path, in completion order, one batch at a time. */
function createSampleSink(store: Store, runId: string, onError: (message: string) => void) {
  let pending: Sample[] = [];
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  let failed = false;
  return {
    push(sample: Sample): void {
      pending.push(sample);
      if (scheduled) return;
      scheduled = true;
      chain = chain.then(async () => {
        scheduled = false;
        const batch = pending;
        pending = [];
        await store.runs.appendSamples(runId, batch).catch((err: unknown) => {
          if (!failed) onError(`could not store samples: ${err instanceof Error ? err.message : String(err)}`);
          failed = true;
        });
      });
    },
    flush: (): Promise<void> => chain,
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
