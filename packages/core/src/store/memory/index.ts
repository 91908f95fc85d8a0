/**
 * The in-memory Store: a real implementation (it passes the store contract suite), for tests, the demo and
 * embedders that keep nothing. Records are cloned on the way in and out, so callers cannot change what is
 * stored behind its back. Several stores may share one `MemoryStoreState`, as processes share a file.
 */
import { randomUUID } from 'node:crypto';
import type { Sample } from '../../result/types.js';
import { ConfigError, RunExistsError, RunNotFoundError, StoreClosedError } from '../../errors/errors.js';
import type { BaselineRecord, HostRecord, LeaseRecord, RunRecord, Store, StoreCallOptions, SuiteRecord } from '../store.js';
import { pageOfRuns, runSummary } from './run-list.js';

export interface MemoryStoreOptions {
  /** Wall clock for record timestamps and lease expiry (leases compare across processes); default `new Date()`. */
  now?: () => Date;
  /** The data to use, shared with other memory stores; default: a fresh state of its own. */
  state?: MemoryStoreState;
}

/** What memory stores keep. Opaque to callers: create one with `createMemoryStoreState` and pass it around. */
export interface MemoryStoreState {
  readonly runs: Map<string, { run: RunRecord; samples: Sample[] }>;
  readonly suites: Map<string, SuiteRecord>;
  readonly baselines: Map<string, BaselineRecord>;
  readonly hosts: Map<string, HostRecord>;
  readonly leases: Map<string, LeaseRecord>;
}

/** Empty storage for one or more memory stores. */
export function createMemoryStoreState(): MemoryStoreState {
  return { runs: new Map(), suites: new Map(), baselines: new Map(), hosts: new Map(), leases: new Map() };
}

/**
 * A Store that keeps everything in memory. Suites, baselines and hosts list by name (id) ascending.
 * Leases: one live lease per host; the same holder asking again while its lease is live is refused like
 * anyone else (the token, not the holder name, proves ownership: two runs in one process share a name).
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = options.now ?? (() => new Date());
  const data = options.state ?? createMemoryStoreState();
  let closed = false;

  /** Every call: honour an already-aborted signal, refuse after close. */
  const enter = (o?: StoreCallOptions): void => {
    o?.signal?.throwIfAborted();
    if (closed) throw new StoreClosedError('memory store');
  };
  const runOf = (runId: string) => {
    const entry = data.runs.get(runId);
    if (!entry) throw new RunNotFoundError(runId);
    return entry;
  };
  const live = (lease: LeaseRecord | undefined, at: number): lease is LeaseRecord =>
    lease !== undefined && Date.parse(lease.expiresAt) > at;
  const expiry = (at: number, ttlMs: number): string => {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new ConfigError([{ path: 'ttlMs', message: `must be a positive number of ms, got ${String(ttlMs)}` }]);
    return new Date(at + ttlMs).toISOString();
  };

  /** get / list (by key) / remove over one map: the same for suites, baselines and hosts. */
  const keyed = <T>(map: Map<string, T>) => ({
    async get(key: string, o?: StoreCallOptions): Promise<T | undefined> {
      enter(o);
      return clone(map.get(key));
    },
    async list(o?: StoreCallOptions): Promise<T[]> {
      enter(o);
      return [...map.keys()].sort().map((k) => clone(map.get(k)!));
    },
    async remove(key: string, o?: StoreCallOptions): Promise<boolean> {
      enter(o);
      return map.delete(key);
    },
  });
  const baselines = keyed(data.baselines);

  const store: Store = {
    runs: {
      async create(run, o) {
        enter(o);
        if (data.runs.has(run.runId)) throw new RunExistsError(run.runId);
        data.runs.set(run.runId, { run: clone(run), samples: [] });
      },
      async appendSamples(runId, samples, o) {
        enter(o);
        const kept = runOf(runId).samples;
        for (const sample of samples) kept.push(copySample(sample));
      },
      async finish(run, o) {
        enter(o);
        runOf(run.runId).run = clone(run);
      },
      async get(runId, o) {
        enter(o);
        return clone(data.runs.get(runId)?.run);
      },
      async list(query = {}, o) {
        enter(o);
        return pageOfRuns(
          [...data.runs.values()].map(({ run }) => runSummary(run)),
          query,
        );
      },
      samples(runId, o) {
        return (async function* () {
          enter(o);
          const entry = runOf(runId);
          // By index, re-reading the length: samples appended while the caller iterates are included.
          for (let i = 0; i < entry.samples.length; i++) {
            if (i > 0) enter(o);
            yield copySample(entry.samples[i]!);
          }
        })();
      },
      async findIds(prefix, limit = 2, o) {
        enter(o);
        return [...data.runs.keys()]
          .filter((id) => id.startsWith(prefix))
          .sort()
          .slice(0, limit);
      },
      async recoverInterrupted(o) {
        enter(o);
        const ids: string[] = [];
        for (const entry of data.runs.values()) {
          if (entry.run.status !== 'running') continue;
          // Only the status changes: when the process died is unknown, so finishedAt stays null.
          entry.run.status = 'interrupted';
          ids.push(entry.run.runId);
        }
        return ids;
      },
    },
    suites: {
      ...keyed(data.suites),
      async put(name, suite, o) {
        enter(o);
        const record: SuiteRecord = { name, suite: clone(suite), updatedAt: now().toISOString() };
        data.suites.set(name, record);
        return clone(record);
      },
    },
    baselines: {
      get: baselines.get,
      list: baselines.list,
      clear: baselines.remove,
      async set(name, runId, o) {
        enter(o);
        runOf(runId);
        const record: BaselineRecord = { name, runId, setAt: now().toISOString() };
        data.baselines.set(name, record);
        return clone(record);
      },
    },
    hosts: {
      ...keyed(data.hosts),
      async put(host, o) {
        enter(o);
        const record: HostRecord = { ...clone(host), updatedAt: now().toISOString() };
        data.hosts.set(host.id, record);
        return clone(record);
      },
    },
    leases: {
      async acquire({ hostId, holder, purpose, ttlMs }, o) {
        enter(o);
        const at = now().getTime();
        const expiresAt = expiry(at, ttlMs);
        const current = data.leases.get(hostId);
        if (live(current, at)) return { acquired: false, current: clone(current) };
        const lease: LeaseRecord = { hostId, holder, purpose, token: randomUUID(), expiresAt };
        data.leases.set(hostId, lease);
        return { acquired: true, lease: clone(lease) };
      },
      async renew(hostId, token, ttlMs, o) {
        enter(o);
        const at = now().getTime();
        const expiresAt = expiry(at, ttlMs);
        const current = data.leases.get(hostId);
        if (!live(current, at) || current.token !== token) return false;
        current.expiresAt = expiresAt;
        return true;
      },
      async release(hostId, token, o) {
        enter(o);
        const current = data.leases.get(hostId);
        if (!live(current, now().getTime()) || current.token !== token) return false;
        data.leases.delete(hostId);
        return true;
      },
      async get(hostId, o) {
        enter(o);
        const current = data.leases.get(hostId);
        return live(current, now().getTime()) ? clone(current) : undefined;
      },
    },
    async close() {
      closed = true;
    },
    async [Symbol.asyncDispose]() {
      await store.close();
    },
  };
  return store;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * A sample's own copy, field by field: appends run while streams are in flight, and this is an order of
 * magnitude cheaper than structuredClone for a sample's arrays of numbers (a sample's fields are the
 * Sample type's: flat records and arrays of numbers or strings, nothing deeper).
 */
function copySample(s: Sample): Sample {
  const copy: Sample = { ...s, itlMs: s.itlMs.slice(), flags: s.flags.slice(), server: { ...s.server } };
  if (s.error) copy.error = { ...s.error };
  if (s.timeline) copy.timeline = { ...s.timeline, tokenAt: s.timeline.tokenAt.slice() };
  return copy;
}
