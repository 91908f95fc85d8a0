/** A Fastify server with only the plugin on it: what `swapbench serve` runs. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { SwapbenchPluginOptions } from './options.js';
import { swapbench } from './plugin.js';

/**
 * A server ready to `listen()`. Connections still open once the plugin's own close hook has cancelled the
 * runs and ended their streams are cut, so `close()` does not wait on idle clients.
 */
export async function createSwapbenchServer(options: SwapbenchPluginOptions & { logger?: boolean }): Promise<FastifyInstance> {
  const { logger, ...plugin } = options;
  const app = Fastify({ forceCloseConnections: true, logger: logger ?? false });
  // The dashboard is on unless the caller says otherwise: `swapbench serve` serves it.
  await app.register(swapbench, { dashboard: true, ...plugin });
  return app;
}
