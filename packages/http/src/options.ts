/** Options of the swapbench Fastify plugin, and their defaults. */
import type { HostAccess, HostRecord, Store, Transport, WorkerTransportOptions } from '@swapbench/core';
import { HOST_KINDS } from './schemas.js';

/** Opens a transport to a registered host, for a run or a model listing. */
export type TransportFactory = (
  host: HostRecord,
  options: { connections?: number | undefined; signal?: AbortSignal },
) => Promise<Transport>;

/** The host-access policy for one job on a host. */
export type HostAccessFactory = (host: HostRecord, transport: Transport | undefined) => HostAccess;

export interface SwapbenchPluginLimits {
  /** Largest request body, bytes; default 1 MiB. Larger → 413. */
  bodyBytes?: number;
  /** Runs in progress at once in this plugin; default 2. One more → 429. */
  concurrentRuns?: number;
  /** Playground streams open at once; default 8. One more → 429. */
  playgroundStreams?: number;
  /** Finished runs whose event log stays in memory for replay; default 32 (older ones replay from the store). */
  keptEventLogs?: number;
}

export interface SwapbenchPluginOptions {
  /** Where runs, suites, baselines, hosts and leases live. The plugin never closes it: its owner does. */
  store: Store;
  /** How a run reaches a registered host; default `connectLlamaTransport` with the host's base URL and kind. */
  transport?: TransportFactory;
  /**
   * The host-access policy every job goes through (runs as `bench`, the playground as `playground`); default
   * `createHostAccess` on the store's leases, probing the run's transport for foreign traffic.
   */
  hostAccess?: HostAccess;
  /**
   * Bearer token every request must carry (`Authorization: Bearer <token>`), compared in constant time.
   * Absent: no authentication (only sensible on loopback; `swapbench serve` insists on one beyond it).
   */
  auth?: { token: string } | undefined;
  /** Mount point; default `/api/bench`. Fastify's own `prefix` register option works the same. */
  prefix?: string;
  /** Let clients register and remove hosts (`POST`/`DELETE /hosts`); default true. */
  manageHosts?: boolean;
  limits?: SwapbenchPluginLimits;
  /** Every SSE stream sends a comment this often so proxies keep it open, ms; default 15 000. */
  heartbeatMs?: number;
  /** Serve the dashboard at `<prefix>/dashboard/` (assets from the package, no auth on the page itself); default false. */
  dashboard?: boolean;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  store: Store;
  transport: TransportFactory;
  /**
   * What worker threads build their own transport from, for a suite with `workers` above 1. Only with the
   * default transport: an app's own factory cannot be rebuilt inside a thread, so such suites are refused.
   */
  workerTransport: ((host: HostRecord, transport: Transport) => WorkerTransportOptions) | undefined;
  hostAccess: HostAccessFactory;
  token: string | undefined;
  manageHosts: boolean;
  limits: Required<SwapbenchPluginLimits>;
  heartbeatMs: number;
  dashboard: boolean;
}

export const DEFAULT_LIMITS: Required<SwapbenchPluginLimits> = {
  bodyBytes: 1024 * 1024,
  concurrentRuns: 2,
  playgroundStreams: 8,
  keptEventLogs: 32,
};

export async function resolveOptions(options: SwapbenchPluginOptions): Promise<ResolvedOptions> {
  if (!options?.store) throw new TypeError('@swapbench/http: the `store` option is required');
  const token = options.auth?.token;
  if (token !== undefined && token.length === 0) throw new TypeError('@swapbench/http: `auth.token` must not be empty');
  const given = options.hostAccess;
  let hostAccess: HostAccessFactory;
  if (given) hostAccess = () => given;
  else {
    const { createHostAccess } = await import('@swapbench/core');
    hostAccess = (_host, transport) => createHostAccess({ leases: options.store.leases, activity: transport ?? {} });
  }
  return {
    store: options.store,
    transport: options.transport ?? defaultTransport,
    workerTransport: options.transport
      ? undefined
      : (host, transport) => ({ baseUrl: host.baseUrl, kind: transport.kind as NonNullable<WorkerTransportOptions['kind']> }),
    hostAccess,
    token,
    manageHosts: options.manageHosts ?? true,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    heartbeatMs: options.heartbeatMs ?? 15_000,
    dashboard: options.dashboard ?? false,
  };
}

/** The registered host's URL and kind; an unknown kind is detected (`auto`). */
const defaultTransport: TransportFactory = async (host, { connections, signal }) => {
  const { connectLlamaTransport } = await import('@swapbench/core/transports/llama');
  // Every kind the CLI registers: an `ollama` or `llama-router` host must not fall back to detection.
  const kind = HOST_KINDS.find((k) => k === host.kind) ?? 'auto';
  return connectLlamaTransport({ baseUrl: host.baseUrl, kind, ...(connections ? { connections } : {}), ...(signal ? { signal } : {}) });
};
