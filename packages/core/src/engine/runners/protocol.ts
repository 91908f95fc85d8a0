/**
 * What a coordinator and the remote runners exchange (issue #21, several machines). A remote runner is to a
 * cell what a worker thread is (see ../workers/protocol.ts), with a pg-boss job in place of postMessage:
 * one job is one share of one closed-loop cell. Plain JSON only (a job's data is a jsonb column).
 */
import type { CellKey } from '../../result/types.js';
import type { Suite } from '../../suite/schema.js';
import type { LoopDelay } from '../client-health.js';
import type { PromptSetEntry } from '../load/prompt-set.js';
import type { PromptPlan } from '../prompts.js';
import type { WorkerTransportOptions } from '../workers/protocol.js';

/** The pg-boss queue shares are posted to and runners work. */
export const SHARE_QUEUE = 'swapbench-cell-share';

/** Shares of a cell whose first sends are further apart than this, ms, are warned of (a runner started late). */
export const LATE_START_MS = 1000;

/**
 * The shape of `ShareJob`, raised whenever it changes: a runner on another machine may run another swapbench
 * than its coordinator, and refuses a share it would misread (the coordinator then says why).
 */
export const SHARE_PROTOCOL = 1;

/** One share of one cell: everything a runner needs, and nothing it must ask for. */
export interface ShareJob {
  /** `SHARE_PROTOCOL` of the coordinator that posted it. */
  protocol: number;
  runId: string;
  /** Which share of the cell this is (0-based) and how many there are. */
  share: number;
  shares: number;
  /** What the runner builds its own transport from: the coordinator's resolved kind, URL, key and headers. */
  transport: WorkerTransportOptions;
  suite: Suite;
  cell: CellKey;
  plan: PromptPlan;
  /** This share's sliding-window lanes (its part of the cell's concurrency). */
  lanes: number;
  /**
   * The cell's request indices this share sends, a pre-assigned block (no counter shared across machines):
   * index i uses nonce `nonceBase + i`, request id `${runId}-${requestBase + i}` and sample seq `seqBase + i`.
   */
  indices: number[];
  nonceBase: number;
  requestBase: number;
  seqBase: number;
  /** With a prompt-size distribution: the drawn size of each of `indices` (`plan` is the smallest size's). */
  sizes?: number[] | undefined;
  /** With a prompt set: the entry of each of `indices` (only those, not the whole set). */
  prompts?: PromptSetEntry[] | undefined;
  timelines: boolean;
  /** When the share's first requests go, on the database's clock (epoch ms). */
  startAtDbMs: number;
  /**
   * When the coordinator gives up on the share if no runner has taken it, on the database's clock (epoch ms).
   * A runner that finds it later refuses it: its coordinator is gone (killed while the share was queued).
   */
  pickupByDbMs: number;
  /** How often the runner proves it is alive (pg-boss `touch`), ms. */
  heartbeatMs: number;
}

/** What a runner reports when its share is done (the job's output). */
export interface ShareOutput {
  runner: string;
  /** The runner's estimate of (database clock − its own wall clock), ms, and the round trip it came from. */
  offsetMs: number;
  offsetRttMs: number;
  /** When its first request was sent, on the database's clock (epoch ms); null when it sent none. */
  firstSendDbMs: number | null;
  /** From its first send to its last request's end, on its own monotonic clock, ms. */
  spanMs: number;
  sent: number;
  /** The runner's event-loop delay while it sent: the cell's client self-check covers every runner. */
  loop: LoopDelay;
  /** Something that went wrong beside single requests (e.g. the transport could not be built). */
  error?: string | undefined;
}

/**
 * Requests a runner has begun, one row each, written before the answer (batched per event-loop turn): when
 * the runner dies, the coordinator stores each begun request that has no sample as `CANCELLED`. Whoever
 * deletes a row owns that request's sample (the runner before it stores one, the coordinator before it
 * writes one off), so a runner taken for dead that comes back stores nothing twice. Seq −1 names the runner
 * that took the share. A table of
 * our own in the store's schema rather than pg-boss job progress: a job's data is one row rewritten whole,
 * and markers for hundreds of streams would rewrite it hundreds of times a second.
 */
export const BEGUN_TABLE = 'swapbench_runner_begun';

export const BEGUN_DDL = `CREATE TABLE IF NOT EXISTS ${BEGUN_TABLE} (
  job_id text NOT NULL,
  seq bigint NOT NULL,
  request_id text NOT NULL,
  started_at text NOT NULL,
  runner text NOT NULL,
  PRIMARY KEY (job_id, seq)
)`;
