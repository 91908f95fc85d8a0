/**
 * @swapbench/core: benchmark llama-server, llama-swap and OpenAI-compatible servers.
 * The root entry loads neither undici nor node:sqlite; transports, stores and the simulator have their own
 * entry points (`@swapbench/core/transports/llama`, `@swapbench/core/simulator`, `@swapbench/core/testing`).
 */
export { runBenchSuite, type RunBenchSuiteOptions } from './engine/run-bench-suite.js';
export type { WorkerTransportOptions } from './engine/workers/protocol.js';
export { WORKER_CHANNEL } from './engine/workers/pool.js';
export { STREAMS_PER_WORKER } from './engine/workers/worker-count.js';
export type { BenchEvent, BenchEventType, RunPhase } from './engine/events.js';
export type {
  CellKey,
  CellClientHealth,
  CellResult,
  ClientHealth,
  ErrorSummary,
  SampleError,
  ClientInfo,
  ColdStart,
  PromptCalibration,
  RunEnvironment,
  RunResult,
  RunStatus,
  Sample,
  SampleFlag,
  SampleTimeline,
  Stats,
  SwapResult,
  ForeignRequests,
} from './result/types.js';
export { computeStats } from './engine/stats.js';
export { VERSION } from './engine/environment.js';
export { parseLlamaTimings, type NormalizedTimings } from './timings/parse-llama-timings.js';
export { redactUrl, redactUrlsIn } from './util/redact-url.js';
export { apiKeyProblem, baseUrlProblem } from './util/connection-checks.js';
export { headerProblem } from './transport/llama/transport-options.js';
export { cellName, runSize } from './engine/phases/cells.js';
export { SuiteSchema, SamplingSchema, type Suite, type SuiteInput } from './suite/schema.js';
export { parseSuite, loadSuiteFile } from './suite/load-suite.js';
export type { Goodput, OpenLoopFigures, SweepStep, SweepSummary } from './result/types.js';
export { SloSchema, SweepSchema, PromptDistributionSchema, type Slo, type Sweep, type PromptDistribution } from './suite/load-schema.js';
export { arrivalSchedule, type ArrivalProcess } from './engine/load/arrivals.js';
export { meetsSlo } from './engine/load/goodput.js';
export { suiteMaxInFlight } from './engine/load/in-flight.js';
export { compareSweeps, SWEEP_METRICS, type SweepComparison, type SweepMetricName } from './compare/metrics.js';
export {
  capabilitiesOf,
  TRANSPORT_CAPABILITIES,
  type ActivityProbe,
  type CallOptions,
  type ChatMessage,
  type ModelInfo,
  type PromptInput,
  type ServerInfo,
  type ServerKind,
  type ServerModelInfo,
  type StreamRequest,
  type Transport,
  type TransportCapability,
  type TransportEvent,
  type TransportTraits,
} from './transport/transport.js';
export type {
  BaselineRecord,
  BaselineStore,
  HostRecord,
  HostStore,
  LeaseAcquireResult,
  LeaseRecord,
  LeaseStore,
  Page,
  RunQuery,
  RunRecord,
  RunStore,
  RunSummary,
  Store,
  StoreCallOptions,
  SuiteRecord,
  SuiteStore,
} from './store/store.js';
export { createMemoryStore } from './store/memory/index.js';
export {
  acquireHostAccess,
  composeHostAccess,
  createHostAccess,
  DEFAULT_LEASE_TTL_MS,
  exclusiveLease,
  foreignTrafficGuard,
  openLease,
  playgroundShares,
  waitForAccess,
  type HostAccess,
  type HostAccessOptions,
  type HostAccessPart,
  type HostAccessRequest,
  type HostLease,
  type HostPurpose,
} from './host-access/index.js';
export { type AutoBaseline, defaultBaselineName, findAutoBaseline } from './compare/baseline-names.js';
export { compareRuns } from './compare/compare-runs.js';
export { METRIC_NAMES } from './compare/metrics.js';
export type {
  CellComparison,
  CompareOptions,
  CompareResult,
  ComparedInput,
  ComparedRunInfo,
  MetricComparison,
  MetricName,
  Thresholds,
  Verdict,
} from './compare/types.js';
// The error classes and codes, exactly as the light `@swapbench/core/errors` entry lists them.
export * from './errors/index.js';
