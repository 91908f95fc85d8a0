/** What `runBenchSuite` is given besides the suite (the run context is built from it). */
import type { HostAccess } from '../host-access/host-access.js';
import type { Store } from '../store/store.js';
import type { Transport } from '../transport/transport.js';
import type { BenchEvent } from './events.js';
import type { RemoteRunners } from './runners/remote-runners.js';
import type { WorkerTransportOptions } from './workers/protocol.js';

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
  /**
   * Monotonic clock in ms; default the transport's `clock`, else `performance.now`. A transport's event
   * times and this clock are compared, so give a clock to the transport (it is used here too), not twice.
   */
  clock?: () => number;
  /**
   * Keep each sample's raw clock readings (`Sample.timeline`: when it was handed to the transport, written,
   * and each token arrived), for harnesses that join samples with other records on the same clock. Off by
   * default: it keeps a number per token.
   */
  timelines?: boolean;
  /** Run id to use; default a random UUID. */
  runId?: string;
  /** What kind of job the run is, stored with it: `bench` (default); an embedding app may use `eval`, `smoke`, ... */
  jobType?: string;
  /** The registered name of the host measured, stored with the run so history can be listed by host. */
  hostId?: string;
  /** Longest wait for one store call before the run goes on without it, ms; default 10 000. */
  storeTimeoutMs?: number;
  /**
   * Ask for the host before the first request and give it back at the end (also on error and abort):
   * `createHostAccess({ leases: store.leases, activity: transport })` for the default policy, or your own.
   * Refused → `runBenchSuite` rejects with its `HostBusyError` / `LeaseHeldError`. Default: no gate.
   */
  hostAccess?: HostAccess;
  /**
   * How often to probe the host for foreign requests during the run, ms (default 1 000; 0: never). Needs
   * the transport's `probeActivity`.
   */
  foreignProbeMs?: number;
  /**
   * What each worker thread builds its own transport from, when the suite's `workers`
   * is not 1: `createLlamaTransport` options as plain data, `kind` as resolved. Workers stamp on this run's
   * clock, so `clock` must be `performance.now` plus a constant (the default is).
   */
  workerTransport?: WorkerTransportOptions;
  /**
   * Where a suite with `runners` sends its closed-loop cells: `connectRunners(uri)` from
   * `@swapbench/core/runners`, on the same PostgreSQL database as `store`. Needs `workerTransport` too.
   */
  runners?: RemoteRunners;
}
