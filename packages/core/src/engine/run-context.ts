import { randomUUID } from 'node:crypto';
import { createMemoryStore } from '../store/memory/index.js';
import type { Store } from '../store/store.js';
import { HostUnreachableError, type SwapbenchError } from '../errors/errors.js';
import type { ErrorSummary, RunResult, Sample } from '../result/types.js';
import type { Suite } from '../suite/schema.js';
import type { Transport } from '../transport/transport.js';
import type { BenchEvent } from './events.js';
import { nonce } from './prompts.js';
import { redactUrl } from '../util/redact-url.js';
import { STORE_TIMEOUT_MS, withDeadline } from './deadline.js';
import { createErrorTally } from './error-tally.js';
import { createSampleSink, type SampleSink } from './sample-sink.js';
import { DEFAULT_FOREIGN_PROBE_MS, type ForeignSampler, InFlight, startForeignSampler } from './foreign-activity.js';
import { errorMessage } from '../util/error-message.js';
import type { PromptSetEntry } from './load/prompt-set.js';
import type { WorkerTransportOptions } from './workers/protocol.js';
import type { RunBenchSuiteOptions } from './run-options.js';
import type { RemoteRunners } from './runners/remote-runners.js';

export type { RunBenchSuiteOptions } from './run-options.js';

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
  /** Aborts when the caller's signal does: in-flight requests cancel, and the run ends `cancelled`. */
  readonly signal: AbortSignal;
  /**
   * Aborts with `signal`, or when the run halts on its own (the host is gone): phases start no new request
   * once it has, while requests in flight finish on their own.
   */
  readonly stopSignal: AbortSignal;
  /** Why the run halted on its own, if it did. */
  readonly haltReason: SwapbenchError | undefined;
  /** Stop starting requests: the run ends `failed` with this error. The first reason wins. */
  halt(reason: SwapbenchError): void;
  readonly clock: () => number;
  /** Keep samples' raw clock readings (the `timelines` option). */
  readonly timelines: boolean;
  readonly result: RunResult;
  /**
   * Call the server (anything but a stream) under the run's signal and the suite's request timeout: an
   * abort or a call that never settles cannot hang the run.
   */
  ask<T>(name: string, call: (options: { signal: AbortSignal }) => Promise<T>): Promise<T>;
  /**
   * Call the store under a deadline (`storeTimeoutMs`, or `timeoutMs`), with a signal that aborts at it.
   * Not under the run's signal: what was measured is stored even when the run is cancelled.
   */
  storeCall<T>(name: string, call: (options: { signal: AbortSignal }) => Promise<T>, timeoutMs?: number): Promise<T>;
  /** The deadline of one store call, ms. */
  readonly storeTimeoutMs: number;
  /** Send a progress event to the listener, numbered in order. */
  emit(event: EventInput): void;
  /** Something the reader should know: kept in `result.notes` and emitted as a `warning` event now. */
  warn(message: string): void;
  /**
   * Keep a finished sample: numbered, queued for the store (off the hot path), emitted, and its error
   * tallied. Several connection failures in a row halt the run: the host is gone.
   */
  record(sample: SampleInput): Sample;
  /** The distinct errors so far. */
  errors(): ErrorSummary[];
  /** The unique prefix of the next request, so no prompt cache can serve it. */
  nextNonce(): string;
  /** The id the next request is sent with (`X-Request-Id`): the run's id and the request's number in it. */
  nextRequestId(): string;
  /** Our own streams in flight (foreign requests are what the host has beyond them). */
  readonly ours: InFlight;
  /** Foreign activity sampled during the run, per cell and overall. */
  readonly foreign: ForeignSampler;
  /** Wait until every sample is stored. */
  flushSamples(): Promise<void>;
  /** Detach from the caller's signal. */
  dispose(): void;
  /** The suite's prompt set, read before the run started (`suite.prompts`). */
  readonly promptSet: readonly PromptSetEntry[] | undefined;
  // Issue #21 (workers): the worker threads' transport options, and request numbers taken in a block.
  readonly workerTransport: WorkerTransportOptions | undefined;
  /** Take `count` request numbers: request i of them uses nonce `nonce(nonce + i)` and id `${runId}-${request + i}`. */
  reserveRequests(count: number): { nonce: number; request: number };
  // Issue #21 (runners): samples numbered in a block, stored by remote runners, then taken in here.
  readonly runners: RemoteRunners | undefined;
  /** Take `count` sample numbers (`seq`) for samples stored elsewhere; returns the first. */
  reserveSamples(count: number): number;
  /** Take a sample already numbered and stored (by a runner): tallied and emitted, not stored again. */
  adopt(sample: Sample): Sample;
}

/** Set up a run: its id, an empty result, and the caller's signal bridged to the run's own. */
export function createRunContext(
  suite: Suite,
  options: RunBenchSuiteOptions,
  client: RunResult['environment']['client'],
  promptSet?: readonly PromptSetEntry[],
): RunContext {
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
  let requestsSent = 0;
  let requestNumber = parseInt(runId.replace(/[^0-9a-f]/gi, '').slice(0, 5) || '0', 16);

  const result: RunResult = {
    runId,
    jobType: options.jobType ?? 'bench',
    host: { ...(options.hostId === undefined ? {} : { id: options.hostId }), baseUrl: redactUrl(options.transport.baseUrl) },
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
    client: { clientSaturated: false, eventLoopDelayP99Ms: null, eventLoopDelayMaxMs: null, saturatedCells: 0 },
    errors: [],
    notes: [],
  };

  // Stopping: the caller's abort, or a halt of our own.
  const stopper = new AbortController();
  const onStop = () => stopper.abort(controller.signal.reason);
  if (controller.signal.aborted) onStop();
  else controller.signal.addEventListener('abort', onStop, { once: true });
  let haltReason: SwapbenchError | undefined;
  const errors = createErrorTally();
  let unreachableInARow = 0;

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
  const storeCall = <T>(
    name: string,
    call: (o: { signal: AbortSignal }) => Promise<T>,
    timeoutMs = options.storeTimeoutMs ?? STORE_TIMEOUT_MS,
  ): Promise<T> => withDeadline(`store.${name}`, timeoutMs, undefined, (signal) => call({ signal }));
  const sink: SampleSink = createSampleSink(
    (batch) => storeCall('runs.appendSamples', (o) => store.runs.appendSamples(runId, batch, o)),
    warn,
  );

  const ours = new InFlight();
  const foreign = startForeignSampler(options.transport, ours, options.foreignProbeMs ?? DEFAULT_FOREIGN_PROBE_MS, (err) =>
    warn(`could not probe the host for foreign requests: ${errorMessage(err)}`),
  );

  const halt = (reason: SwapbenchError): void => {
    if (haltReason || stopper.signal.aborted) return;
    haltReason = reason;
    stopper.abort(reason);
  };

  return {
    runId,
    suite,
    transport: options.transport,
    store,
    signal: controller.signal,
    stopSignal: stopper.signal,
    get haltReason() {
      return haltReason;
    },
    halt,
    ask: (name, call) => withDeadline(`transport.${name}`, suite.requestTimeoutMs, controller.signal, (signal) => call({ signal })),
    storeCall,
    storeTimeoutMs: options.storeTimeoutMs ?? STORE_TIMEOUT_MS,
    clock: options.clock ?? options.transport.clock ?? (() => performance.now()),
    timelines: options.timelines === true,
    result,
    emit,
    warn,
    record(input) {
      const sample: Sample = { ...input, runId, seq: sampleSeq++ };
      sink.push(sample);
      errors.add(sample);
      emit({ type: 'sample', sample });
      // Connections refused or reset, again and again with no answer between: the server is down (or drops
      // every connection), and every request left would fail fast.
      const connectionFailed = sample.error?.code === 'HOST_UNREACHABLE' || sample.error?.code === 'CONNECTION_RESET';
      unreachableInARow = connectionFailed ? unreachableInARow + 1 : sample.ok ? 0 : unreachableInARow;
      if (unreachableInARow >= HOST_GONE_AFTER) {
        // The last error already says "cannot reach <url>: …": keep only its reason.
        const last = sample.error?.message.replace(/^(cannot reach \S+|connection to \S+ was reset before the answer): /, '') ?? '';
        halt(
          new HostUnreachableError(redactUrl(options.transport.baseUrl), {
            cause: new Error(`${unreachableInARow} requests in a row could not connect (${last}); the run stopped early`),
          }),
        );
      }
      return sample;
    },
    errors: () => errors.summary(),
    nextNonce: () => nonce(requestNumber++),
    nextRequestId: () => `${runId}-${requestsSent++}`,
    ours,
    foreign,
    flushSamples: () => sink.flush(),
    promptSet,
    // Issue #21 (workers).
    workerTransport: options.workerTransport,
    reserveRequests(count) {
      const first = { nonce: requestNumber, request: requestsSent };
      requestNumber += count;
      requestsSent += count;
      return first;
    },
    // Issue #21 (runners).
    runners: options.runners,
    reserveSamples(count) {
      const first = sampleSeq;
      sampleSeq += count;
      return first;
    },
    adopt(sample) {
      errors.add(sample);
      emit({ type: 'sample', sample });
      return sample;
    },
    dispose: () => {
      void foreign.stop();
      options.signal?.removeEventListener('abort', onAbort);
      controller.signal.removeEventListener('abort', onStop);
    },
  };
}

/** Connection failures in a row after which the host counts as gone and the run stops starting requests. */
export const HOST_GONE_AFTER = 3;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
