/**
 * The Store interface: where runs, samples, suites, baselines, hosts and host leases live. Records are plain
 * JSON with ISO timestamps. Every method is async and takes `{ signal }` last. Implementations: memory
 * (here), file and SQLite (their own entry points).
 */
import type { RunResult, RunStatus, Sample } from '../result/types.js';
import type { SuiteInput } from '../suite/schema.js';

export interface StoreCallOptions {
  signal?: AbortSignal;
}

/** A run as stored: the result so far (status `running` until `finish`). */
export type RunRecord = RunResult;

/** One row of a run listing. */
export interface RunSummary {
  runId: string;
  /** `bench` for benchmark runs; an embedding app may store others (`eval`, `smoke`, ...). */
  jobType: string;
  suiteName: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  /** The registered host's name, when the run was started through one. */
  hostId?: string | undefined;
  /** The server's base URL as shown (credentials and query values redacted). */
  baseUrl?: string | undefined;
  /** The suite's models, in its order. */
  models: string[];
  /** swapbench version that measured it. */
  toolVersion: string;
}

/** Filters of a run listing; all given ones must match. Times are ISO 8601, on `startedAt`. */
export interface RunQuery {
  suiteName?: string;
  status?: RunStatus;
  jobType?: string;
  hostId?: string;
  baseUrl?: string;
  /** Runs whose suite has this model. */
  model?: string;
  /** Started at or after. */
  since?: string;
  /** Started before. */
  until?: string;
  /** Page size; default 50. */
  limit?: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string | undefined;
}

export interface RunStore {
  /** Store a new run (status `running`). */
  create(run: RunRecord, options?: StoreCallOptions): Promise<void>;
  /** Append samples as they complete. */
  appendSamples(runId: string, samples: Sample[], options?: StoreCallOptions): Promise<void>;
  /** Store the final result (status, cells, finishedAt). */
  finish(run: RunRecord, options?: StoreCallOptions): Promise<void>;
  get(runId: string, options?: StoreCallOptions): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(query?: RunQuery, options?: StoreCallOptions): Promise<Page<RunSummary>>;
  /** A run's samples in the order they were appended. */
  samples(runId: string, options?: StoreCallOptions): AsyncIterable<Sample>;
  /** Up to `limit` (default 2) stored run ids that start with `prefix`, sorted: a unique prefix names a run. */
  findIds(prefix: string, limit?: number, options?: StoreCallOptions): Promise<string[]>;
  /**
   * Mark runs left `running` by a writer that is gone as `interrupted`; returns their ids. Durable stores
   * record which process writes a run (pid and machine) and when it last appended; a run is the gone
   * writer's when that process is no longer alive on this machine, or (written from another machine) when
   * nothing was appended for `staleAfterMs` (default 10 minutes). They run this when opened. `force` marks
   * every run still `running`, whoever writes it (for a caller that knows no writer is left). The memory
   * store has no other writer: it always does that.
   */
  recoverInterrupted(options?: StoreCallOptions & { staleAfterMs?: number; force?: boolean }): Promise<string[]>;
}

export interface SuiteRecord {
  name: string;
  suite: SuiteInput;
  updatedAt: string;
}

export interface SuiteStore {
  put(name: string, suite: SuiteInput, options?: StoreCallOptions): Promise<SuiteRecord>;
  get(name: string, options?: StoreCallOptions): Promise<SuiteRecord | undefined>;
  list(options?: StoreCallOptions): Promise<SuiteRecord[]>;
  remove(name: string, options?: StoreCallOptions): Promise<boolean>;
}

/** A named reference run that later runs are compared against. */
export interface BaselineRecord {
  name: string;
  runId: string;
  setAt: string;
}

export interface BaselineStore {
  set(name: string, runId: string, options?: StoreCallOptions): Promise<BaselineRecord>;
  get(name: string, options?: StoreCallOptions): Promise<BaselineRecord | undefined>;
  list(options?: StoreCallOptions): Promise<BaselineRecord[]>;
  clear(name: string, options?: StoreCallOptions): Promise<boolean>;
}

/** A server known by name. */
export interface HostRecord {
  id: string;
  baseUrl: string;
  kind?: string | undefined;
  /** Anything else the user wants to keep with it (GPU, notes). */
  labels?: Record<string, string> | undefined;
  updatedAt: string;
}

export interface HostStore {
  put(host: Omit<HostRecord, 'updatedAt'>, options?: StoreCallOptions): Promise<HostRecord>;
  get(id: string, options?: StoreCallOptions): Promise<HostRecord | undefined>;
  list(options?: StoreCallOptions): Promise<HostRecord[]>;
  remove(id: string, options?: StoreCallOptions): Promise<boolean>;
}

/** Who holds a host, until when. */
export interface LeaseRecord {
  hostId: string;
  holder: string;
  purpose: string;
  /** Opaque; needed to renew or release. */
  token: string;
  expiresAt: string;
}

export type LeaseAcquireResult = { acquired: true; lease: LeaseRecord } | { acquired: false; current: LeaseRecord };

/** Compare-and-set leases, so processes sharing a store agree on who benchmarks a host. */
export interface LeaseStore {
  acquire(
    request: { hostId: string; holder: string; purpose: string; ttlMs: number },
    options?: StoreCallOptions,
  ): Promise<LeaseAcquireResult>;
  /** Extend a lease still held with this token; false if it was lost. */
  renew(hostId: string, token: string, ttlMs: number, options?: StoreCallOptions): Promise<boolean>;
  /** Give a lease back; false if it was not held with this token. */
  release(hostId: string, token: string, options?: StoreCallOptions): Promise<boolean>;
  get(hostId: string, options?: StoreCallOptions): Promise<LeaseRecord | undefined>;
}

/** Everything swapbench keeps. */
export interface Store extends AsyncDisposable {
  readonly runs: RunStore;
  readonly suites: SuiteStore;
  readonly baselines: BaselineStore;
  readonly hosts: HostStore;
  readonly leases: LeaseStore;
  close(): Promise<void>;
}
