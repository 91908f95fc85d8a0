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
  suiteName: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  baseUrl?: string | undefined;
}

export interface RunQuery {
  suiteName?: string;
  status?: RunStatus;
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
  /** Mark runs left `running` by a process that died as `interrupted`; returns their ids. */
  recoverInterrupted(options?: StoreCallOptions): Promise<string[]>;
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
