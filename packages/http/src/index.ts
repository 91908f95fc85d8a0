/**
 * `@swapbench/http`: a Fastify plugin that embeds swapbench benchmarking in a server. `swapbench serve` runs
 * the same plugin standalone.
 */
export { DEFAULT_PREFIX, swapbench, swapbench as default } from './plugin.js';
export { createSwapbenchServer } from './standalone.js';
export {
  DEFAULT_LIMITS,
  type HostAccessFactory,
  type SwapbenchPluginLimits,
  type SwapbenchPluginOptions,
  type TransportFactory,
} from './options.js';
export { HTTP_STATUS_BY_ERROR, type ErrorJson, type HttpOnlyCode, type IssueJson } from './errors.js';
export type { FeedEvent } from './runs/registry.js';
export type { RelayFigures } from './playground/relay.js';
