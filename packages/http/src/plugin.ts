/**
 * The swapbench Fastify plugin: runs, their live progress, history, baselines, hosts and a playground, under
 * one prefix. It stays encapsulated (no fastify-plugin): its validator, error handler, auth hook and OpenAPI
 * document apply to its own routes only, and decorate nothing of the host app.
 */
import swagger from '@fastify/swagger';
import type { FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { bearerAuth } from './auth.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { handleError, HttpError } from './errors.js';
import { type SwapbenchPluginOptions, resolveOptions } from './options.js';
import { playgroundRoutes } from './playground/routes.js';
import type { RouteContext } from './routes/context.js';
import { eventRoutes } from './routes/events.js';
import { recordRoutes } from './routes/records.js';
import { runRoutes } from './routes/runs.js';
import { RunRegistry } from './runs/registry.js';

/** Where the plugin mounts unless told otherwise. */
export const DEFAULT_PREFIX = '/api/bench';

/**
 * Register with `app.register(swapbench, { store })`. Mounted at `prefix` (default `/api/bench`); Fastify's
 * own `prefix` register option is honoured the same way.
 */
export const swapbench: FastifyPluginAsync<SwapbenchPluginOptions> = async (fastify, rawOptions) => {
  const options = await resolveOptions(rawOptions);
  // Fastify applied a `prefix` register option already; otherwise mount at the default.
  const prefix = fastify.prefix ? '' : (rawOptions.prefix ?? DEFAULT_PREFIX);
  await fastify.register(
    async (app) => {
      const closing = new AbortController();
      const runs = new RunRegistry(options.limits.keptEventLogs);
      const ctx: RouteContext = { options, runs, closing: closing.signal };
      app.setValidatorCompiler(validatorCompiler);
      app.setSerializerCompiler(serializerCompiler);
      app.setErrorHandler(handleError);
      app.setNotFoundHandler((request) => {
        throw new HttpError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
      });
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= options.limits.bodyBytes;
      });
      if (options.token !== undefined) app.addHook('onRequest', bearerAuth(options.token));
      // Before the server stops accepting: cancel what runs (each stores `cancelled`) and end open streams.
      app.addHook('preClose', async () => {
        closing.abort(new Error('server shutting down'));
        await runs.shutdown(new Error('server shutting down'));
      });
      await app.register(swagger, {
        openapi: {
          openapi: '3.0.3',
          info: { title: 'swapbench', description: 'Benchmark runs, live progress, history and a playground.', version: '0.1.0' },
          ...(options.token === undefined
            ? {}
            : { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] }),
        },
        transform: jsonSchemaTransform,
        transformObject: jsonSchemaTransformObject,
      });
      const typed = app.withTypeProvider<ZodTypeProvider>();
      await typed.register(recordRoutes, { ctx });
      await typed.register(runRoutes, { ctx });
      await typed.register(eventRoutes, { ctx });
      await typed.register(playgroundRoutes, { ctx });
      app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
    },
    { prefix },
  );
  // Beside the API rather than inside it: the page is public, the data it asks for is behind the token.
  if (options.dashboard) await fastify.register(dashboardRoutes, { prefix, apiPrefix: `${fastify.prefix}${prefix}` });
};
