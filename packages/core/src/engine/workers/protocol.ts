/**
 * The messages between the main thread and an engine worker thread (issue #21). Plain data only: they are
 * structured-cloned. The main thread owns the run (numbering, store, events, aggregates); a worker only sends
 * requests and measures them, on a clock converted to the main thread's (see `worker-clock.ts`).
 */
import type { CellKey } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import type { LlamaTransportOptions } from '../../transport/llama/transport-options.js';
import type { LoopDelay } from '../client-health.js';
import type { PromptSetEntry } from '../load/prompt-set.js';
import type { PromptPlan } from '../prompts.js';
import type { SampleInput } from '../run-context.js';

/**
 * How each worker thread builds its own transport: `createLlamaTransport` options as plain data (no `clock`,
 * no `dispatcher`: a function or a socket pool cannot cross threads). Give `kind` as resolved (what
 * `connectLlamaTransport` detected), so no worker detects again.
 */
export type WorkerTransportOptions = Omit<LlamaTransportOptions, 'clock' | 'dispatcher'>;

/** Main → worker. */
export type ToWorker =
  | {
      type: 'init';
      transport: WorkerTransportOptions;
      suite: Suite;
      runId: string;
      timelines: boolean;
      /** The main thread's `performance.timeOrigin`, and what to add to its `performance.now()` to read the run's clock. */
      mainOrigin: number;
      clockOffsetMs: number;
      promptSet: readonly PromptSetEntry[] | undefined;
    }
  | {
      type: 'cell';
      cellId: number;
      cell: CellKey;
      /** This worker's share of the cell's concurrency: its sliding-window lanes. */
      lanes: number;
      /** Requests of the whole cell; lanes of every worker take the next index from `counter`. */
      total: number;
      /** One Int32 shared by all workers: the next request index (`Atomics.add`); set to `total` to stop. */
      counter: SharedArrayBuffer;
      plan: PromptPlan;
      /** With a prompt-size distribution: each index's drawn size (`plan` is then the smallest size's). */
      sizes: Int32Array | undefined;
      /** Request i uses nonce number `nonceBase + i` and id `${runId}-${requestBase + i}`. */
      nonceBase: number;
      requestBase: number;
    }
  /** Before the cell's clock starts: open this many connections, then answer `reserved`. */
  | { type: 'reserve'; lanes: number }
  | { type: 'abort'; reason: string }
  | { type: 'close' };

/** Worker → main. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'reserved' }
  /** A request is about to be sent: if the worker dies now, the main thread stores it as cancelled. */
  | { type: 'begin'; cellId: number; index: number; requestId: string; startedAt: string }
  | { type: 'sample'; cellId: number; index: number; sample: SampleInput; completedAt: number }
  /** The run was aborted before the request was sent: it measured nothing. */
  | { type: 'dropped'; cellId: number; index: number }
  | { type: 'cell-done'; cellId: number; loop: LoopDelay }
  | { type: 'cell-failed'; cellId: number; message: string };
