/**
 * The in-memory Store: a real implementation (it passes the store contract suite), for tests, the demo and
 * embedders that keep nothing. Records are cloned on the way in and out, so callers cannot change what is
 * stored behind its back.
 */
import { randomUUID } from 'node:crypto';
import type { Sample } from '../../engine/types.js';
import { SwapbenchError } from '../../errors.js';
import type {
  BaselineRecord,
  HostRecord,
  LeaseRecord,
  Page,
  RunRecord,
  RunSummary,
  Store,
  StoreCallOptions,
  SuiteRecord,
} from '../store.js';

export interface MemoryStoreOptions {
  /** Wall clock for record timestamps and lease expiry (leases compare across processes); default `new Date()`. */
  now?: () => Date;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = options.now ?? (() => new Date());
  const runs = new Map<string, { run: RunRecord; samples: Sample[] }>();
  const suites = new Map<string, SuiteRecord>();
  const baselines = new Map<string, BaselineRecord>();
  const hosts = new Map<string, HostRecord>();
  const leases = new Map<string, LeaseRecord>();
  let closed = false;

  /** Every call: refuse after close, honour an already-aborted signal. */
  const enter = (o?: StoreCallOptions): void => {
    if (closed) throw new SwapbenchError('STORE_CLOSED', 'memory store is closed');
    o?.signal?.throwIfAborted();
  };
  const clone = <T>(value: T): T => structuredClone(value);
  const runOf = (runId: string) => {
    const entry = runs.get(runId);
    if (!entry) throw new SwapbenchError('RUN_NOT_FOUND', `run ${runId} not found`);
    return entry;
  };

  /** get / list (sorted by key) / remove over one map: the same for suites, baselines and hosts. */
  const keyed = <T>(map: Map<string, T>) => ({
    async get(key: string, o?: StoreCallOptions): Promise<T | undefined> {
      enter(o);
      const r = map.get(key);
      return r === undefined ? undefined : clone(r);
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

  const store: Store = {
    runs: {
      async create(run, o) {
        enter(o);
        if (runs.has(run.runId)) throw new SwapbenchError('RUN_EXISTS', `run ${run.runId} already exists`);
        runs.set(run.runId, { run: clone(run), samples: [] });
      },
      async appendSamples(runId, samples, o) {
        enter(o);
        runOf(runId).samples.push(...clone(samples));
      },
      async finish(run, o) {
        enter(o);
        runOf(run.runId).run = clone(run);
      },
      async get(runId, o) {
        enter(o);
        const entry = runs.get(runId);
        return entry ? clone(entry.run) : undefined;
      },
      async list(query = {}, o) {
        enter(o);
        const limit = query.limit ?? 50;
        const all = [...runs.values()]
          .map(({ run }) => summary(run))
          .filter((s) => (query.suiteName === undefined || s.suiteName === query.suiteName) && (query.status === undefined || s.status === query.status))
          .sort(newestFirst);
        // The cursor is the last item's sort key, so pages stay stable while new runs arrive.
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
        const rest = after ? all.filter((s) => newestFirst(s, after) > 0) : all;
        const items = rest.slice(0, limit);
        const last = items[items.length - 1];
        const page: Page<RunSummary> = { items };
        if (rest.length > limit && last) page.nextCursor = encodeCursor(last);
        return page;
      },
      samples(runId, o) {
        return (async function* () {
          enter(o);
          const entry = runOf(runId);
          // Yield what is there now, by index, so samples appended meanwhile are not skipped or repeated.
          for (let i = 0; i < entry.samples.length; i++) yield clone(entry.samples[i]!);
        })();
      },
      async recoverInterrupted(o) {
        enter(o);
        const ids: string[] = [];
        for (const entry of runs.values()) {
          if (entry.run.status !== 'running') continue;
          entry.run.status = 'interrupted';
          entry.run.finishedAt ??= now().toISOString();
          ids.push(entry.run.runId);
        }
        return ids;
      },
    },
    suites: {
      ...keyed(suites),
      async put(name, suite, o) {
        enter(o);
        const record: SuiteRecord = { name, suite: clone(suite), updatedAt: now().toISOString() };
        suites.set(name, record);
        return clone(record);
      },
    },
    baselines: {
      ...keyed(baselines),
      async set(name, runId, o) {
        enter(o);
        runOf(runId);
        const record: BaselineRecord = { name, runId, setAt: now().toISOString() };
        baselines.set(name, record);
        return clone(record);
      },
      clear: keyed(baselines).remove,
    },
    hosts: {
      ...keyed(hosts),
      async put(host, o) {
        enter(o);
        const record: HostRecord = { ...clone(host), updatedAt: now().toISOString() };
        hosts.set(host.id, record);
        return clone(record);
      },
    },
    leases: {
      async acquire({ hostId, holder, purpose, ttlMs }, o) {
        enter(o);
        const current = leases.get(hostId);
        const t = now();
        if (current && Date.parse(current.expiresAt) > t.getTime()) return { acquired: false, current: clone(current) };
        const lease: LeaseRecord = { hostId, holder, purpose, token: randomUUID(), expiresAt: new Date(t.getTime() + ttlMs).toISOString() };
        leases.set(hostId, lease);
        return { acquired: true, lease: clone(lease) };
      },
      async renew(hostId, token, ttlMs, o) {
        enter(o);
        const current = leases.get(hostId);
        const t = now().getTime();
        if (!current || current.token !== token || Date.parse(current.expiresAt) <= t) return false;
        current.expiresAt = new Date(t + ttlMs).toISOString();
        return true;
      },
      async release(hostId, token, o) {
        enter(o);
        const current = leases.get(hostId);
        if (!current || current.token !== token) return false;
        leases.delete(hostId);
        return true;
      },
      async get(hostId, o) {
        enter(o);
        const current = leases.get(hostId);
        return current && Date.parse(current.expiresAt) > now().getTime() ? clone(current) : undefined;
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

function summary(run: RunRecord): RunSummary {
  return {
    runId: run.runId,
    suiteName: run.suite.name,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    baseUrl: run.environment.server?.baseUrl,
  };
}

/** Newest first by start time, then by run id: a total order, so cursors are unambiguous. */
function newestFirst(a: Pick<RunSummary, 'startedAt' | 'runId'>, b: Pick<RunSummary, 'startedAt' | 'runId'>): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

function encodeCursor(s: RunSummary): string {
  return Buffer.from(JSON.stringify([s.startedAt, s.runId])).toString('base64url');
}

function decodeCursor(cursor: string): Pick<RunSummary, 'startedAt' | 'runId'> {
  try {
    const [startedAt, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    if (typeof startedAt === 'string' && typeof runId === 'string') return { startedAt, runId };
  } catch {
    // fall through
  }
  throw new SwapbenchError('CONFIG_INVALID', `invalid cursor "${cursor}"`);
}
