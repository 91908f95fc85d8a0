import { randomUUID } from 'node:crypto';
import { createMemoryStore } from '../store/memory/index.js';
import type { Store } from '../store/store.js';
import type { RunResult, Sample } from '../result/types.js';
import type { Suite } from '../suite/schema.js';
import type { Transport } from '../transport/transport.js';
import type { BenchEvent } from './events.js';
import { nonce } from './prompts.js';
import { createSampleSink, type SampleSink } from './sample-sink.js';

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

/** An event as a phase emits it; the context numbers it and adds the run id. */
export type EventInput = DistributiveOmit<BenchEvent, 'seq' | 'runId'>;

/** A sample as a phase measured it; the context numbers it and adds the run id. */
export type SampleInput = Omit<Sample, 'seq' | 'runId'>;

/**
 * What every phase of a run shares: the suite, the server, the store, the run's signal and clock, the
 * result being filled in, and the ways out (events, warnings, samples). One per run.
 */
export interface RunContext {
  readonly runId: string;
  readonly suite: Suite;
  readonly transport: Transport;
  readonly store: Store;
  /** Aborts when the caller's signal does; phases stop taking new work and in-flight requests cancel. */
  readonly signal: AbortSignal;
  readonly clock: () => number;
  readonly result: RunResult;
  /** Send a progress event to the listener, numbered in order. */
  emit(event: EventInput): void;
  /** Something the reader should know: kept in `result.notes` and emitted as a `warning` event now. */
  warn(message: string): void;
  /** Keep a finished sample: numbered, queued for the store (off the hot path) and emitted. */
  record(sample: SampleInput): Sample;
  /** The unique prefix of the next request, so no prompt cache can serve it. */
  nextNonce(): string;
  /** Wait until every sample is stored. */
  flushSamples(): Promise<void>;
  /** Detach from the caller's signal. */
  dispose(): void;
}

/** Set up a run: its id, an empty result, and the caller's signal bridged to the run's own. */
export function createRunContext(suite: Suite, options: RunBenchSuiteOptions, client: RunResult['environment']['client']): RunContext {
  const store = options.store ?? createMemoryStore();
  const runId = options.runId ?? randomUUID();
  // The run's own controller: the caller's signal aborts it, and the run can outlive that listener.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  let seq = 0;
  let sampleSeq = 0;
  // Start the nonces at a number from the run id, so two runs' prompts differ from the first request.
  let requestNumber = parseInt(runId.replace(/[^0-9a-f]/gi, '').slice(0, 5) || '0', 16);

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
    environment: { client },
    client: { clientSaturated: false, eventLoopDelayP99Ms: null, eventLoopDelayMaxMs: null },
    notes: [],
  };

  const emit = (event: EventInput): void => {
    try {
      options.onEvent?.({ ...event, seq: seq++, runId } as BenchEvent);
    } catch {
      // A broken UI must not break the measurement.
    }
  };
  const warn = (message: string): void => {
    result.notes.push(message);
    emit({ type: 'warning', message });
  };
  const sink: SampleSink = createSampleSink(store, runId, warn);

  return {
    runId,
    suite,
    transport: options.transport,
    store,
    signal: controller.signal,
    clock: options.clock ?? (() => performance.now()),
    result,
    emit,
    warn,
    record(input) {
      const sample: Sample = { ...input, runId, seq: sampleSeq++ };
      sink.push(sample);
      emit({ type: 'sample', sample });
      return sample;
    },
    nextNonce: () => nonce(requestNumber++),
    flushSamples: () => sink.flush(),
    dispose: () => options.signal?.removeEventListener('abort', onAbort),
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
