/**
 * The runs this plugin started: their abort controllers, their event logs (for SSE replay with
 * `Last-Event-ID`) and who is watching. A watcher that leaves only stops watching; the run goes on.
 */
import type { BenchEvent, RunResult } from '@swapbench/core';

/** An event of a run's feed: the engine's events, or `run-error` when the run threw instead of resolving. */
export type FeedEvent = BenchEvent | { seq: number; runId: string; type: 'run-error'; error: { code: string; message: string } };

type Listener = (event: FeedEvent) => void;

/** A run in progress, or finished recently enough that its log is still kept. */
export interface LiveRun {
  readonly runId: string;
  readonly hostId: string;
  readonly controller: AbortController;
  /** Every event so far, in `seq` order. */
  readonly events: FeedEvent[];
  finished: boolean;
  /** The run's promise settled: its lease and transport were given back. */
  settled: boolean;
  /** Settles when the run has ended and its result was stored (never rejects). */
  done: Promise<void>;
  readonly listeners: Set<Listener>;
}

export class RunRegistry {
  readonly #runs = new Map<string, LiveRun>();
  readonly #finished: string[] = [];

  constructor(private readonly keptLogs: number) {}

  /** Runs not finished yet. */
  active(): LiveRun[] {
    return [...this.#runs.values()].filter((r) => !r.finished);
  }

  /** Runs whose work is not over (transport and lease not yet given back). */
  unsettled(): LiveRun[] {
    return [...this.#runs.values()].filter((r) => !r.settled);
  }

  get(runId: string): LiveRun | undefined {
    return this.#runs.get(runId);
  }

  /** Start `execute` as run `runId`; its events go to the log and to every watcher. */
  start(runId: string, hostId: string, execute: (signal: AbortSignal, onEvent: (e: BenchEvent) => void) => Promise<RunResult>): LiveRun {
    const run: LiveRun = {
      runId,
      hostId,
      controller: new AbortController(),
      events: [],
      finished: false,
      settled: false,
      done: Promise.resolve(),
      listeners: new Set(),
    };
    const publish = (event: FeedEvent) => {
      run.events.push(event);
      // The result is stored before `run-done`: from here on the run cannot be cancelled.
      if (event.type === 'run-done' || event.type === 'run-error') run.finished = true;
      for (const listener of run.listeners) listener(event);
    };
    this.#runs.set(runId, run);
    run.done = execute(run.controller.signal, publish)
      .then(
        () => undefined,
        (err: unknown) => {
          const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL';
          const message = err instanceof Error ? err.message : String(err);
          publish({ seq: (run.events.at(-1)?.seq ?? 0) + 1, runId, type: 'run-error', error: { code, message } });
        },
      )
      .finally(() => {
        run.finished = true;
        run.settled = true;
        run.listeners.clear();
        this.#retire(runId);
      });
    return run;
  }

  /**
   * Watch a run from after `afterSeq`: the events already logged are handed back to replay, then `listener`
   * gets each new one. Returns the function that stops watching.
   */
  watch(run: LiveRun, afterSeq: number, listener: Listener): { replay: FeedEvent[]; stop: () => void } {
    const replay = run.events.filter((e) => e.seq > afterSeq);
    if (run.finished) return { replay, stop: () => {} };
    run.listeners.add(listener);
    return { replay, stop: () => run.listeners.delete(listener) };
  }

  /** Abort every active run and wait until each has stored its result. */
  async shutdown(reason: Error): Promise<void> {
    for (const run of this.active()) run.controller.abort(reason);
    await Promise.all(this.unsettled().map((r) => r.done));
  }

  /** Keep the logs of the last `keptLogs` finished runs; older ones replay from the store. */
  #retire(runId: string): void {
    this.#finished.push(runId);
    while (this.#finished.length > this.keptLogs) this.#runs.delete(this.#finished.shift()!);
  }
}
