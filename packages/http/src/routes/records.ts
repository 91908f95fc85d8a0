/** Suites, baselines and hosts: the stored records a client reads and edits. */
import { baseUrlProblem } from '@swapbench/core';
import { ConfigError, RunNotFoundError } from '@swapbench/core/errors';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HttpError, notFound } from '../errors.js';
import {
  BaselineJson,
  BaselinePutBody,
  errors,
  HostJson,
  HostParams,
  HostPostBody,
  ModelsAnswer,
  NameParams,
  SuitePutBody,
  SuiteRecordJson,
} from '../schemas.js';
import type { RouteContext } from './context.js';
import { validSuite } from './context.js';

export const recordRoutes: FastifyPluginAsyncZod<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { store } = ctx.options;

  app.get('/suites', { schema: { summary: 'Stored suites', response: { 200: z.array(SuiteRecordJson), ...errors(401) } } }, () =>
    store.suites.list(),
  );
  app.post(
    '/suites',
    {
      schema: { summary: 'Store a suite under its name', body: SuitePutBody, response: { 201: SuiteRecordJson, ...errors(400, 401, 413) } },
    },
    async (request, reply) => {
      const suite = await validSuite(request.body.suite, 'body.suite');
      // A name GET /suites/:name (and a baseline `<suite>@<host>`) could not address is refused here, by its
      // path, rather than stored for good or refused by the store under another path.
      const named = NameParams.shape.name.safeParse(suite.name);
      if (!named.success) throw new ConfigError([{ path: 'body.suite.name', message: named.error.issues[0]?.message ?? 'is invalid' }]);
      return reply.code(201).send(await store.suites.put(suite.name, request.body.suite as never));
    },
  );
  app.get(
    '/suites/:name',
    { schema: { summary: 'One stored suite', params: NameParams, response: { 200: SuiteRecordJson, ...errors(400, 401, 404) } } },
    async (request) => (await store.suites.get(request.params.name)) ?? Promise.reject(notFound('suite', request.params.name)),
  );

  app.get('/baselines', { schema: { summary: 'Baselines', response: { 200: z.array(BaselineJson), ...errors(401) } } }, () =>
    store.baselines.list(),
  );
  app.put(
    '/baselines/:name',
    {
      schema: {
        summary: 'Set a baseline to a stored run (completed, unless force)',
        params: NameParams,
        body: BaselinePutBody,
        response: { 200: BaselineJson, ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const run = await store.runs.get(request.body.runId);
      if (!run) throw new RunNotFoundError(request.body.runId);
      // The objections `swapbench baseline set` makes (README, Comparing runs): a baseline's figures must be clean.
      const objection =
        run.status !== 'completed'
          ? `is ${run.status}: only a completed run is a baseline`
          : run.client?.clientSaturated
            ? 'had a saturated client (its timings include client delay)'
            : run.polluted === true
              ? 'was polluted: foreign traffic hit the host during it'
              : undefined;
      if (objection && !request.body.force)
        throw new HttpError(409, 'CONFLICT', `run ${run.runId} ${objection} (force: true to set it anyway)`);
      return store.baselines.set(request.params.name, run.runId);
    },
  );
  app.delete(
    '/baselines/:name',
    { schema: { summary: 'Remove a baseline', params: NameParams, response: { 204: z.null(), ...errors(400, 401, 404) } } },
    async (request, reply) => {
      if (!(await store.baselines.clear(request.params.name))) throw notFound('baseline', request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.get('/hosts', { schema: { summary: 'Registered hosts', response: { 200: z.array(HostJson), ...errors(401) } } }, () =>
    store.hosts.list(),
  );
  app.get(
    '/hosts/:id/models',
    {
      schema: {
        summary: "A registered host's models",
        params: HostParams,
        response: { 200: ModelsAnswer, ...errors(400, 401, 404, 502, 504) },
      },
    },
    async (request) => {
      const host = await store.hosts.get(request.params.id);
      if (!host) throw notFound('host', request.params.id);
      const transport = await ctx.options.transport(host, { signal: ctx.closing });
      try {
        const models = await transport.listModels({ signal: ctx.closing });
        return { models: models.map(({ id, loaded }) => (loaded === undefined ? { id } : { id, loaded })) };
      } finally {
        await transport.close();
      }
    },
  );
  if (!ctx.options.manageHosts) return;
  app.post(
    '/hosts',
    { schema: { summary: 'Register a host (name → base URL)', body: HostPostBody, response: { 201: HostJson, ...errors(400, 401, 413) } } },
    async (request, reply) => {
      const { id, baseUrl, kind, labels } = request.body;
      const problem = baseUrlProblem(baseUrl);
      if (problem) throw new ConfigError([{ path: 'body.baseUrl', message: problem }]);
      const host = await store.hosts.put({ id, baseUrl: baseUrl.replace(/\/+$/, ''), kind, labels });
      return reply.code(201).send(host);
    },
  );
  app.delete(
    '/hosts/:id',
    { schema: { summary: 'Remove a registered host', params: HostParams, response: { 204: z.null(), ...errors(400, 401, 404) } } },
    async (request, reply) => {
      if (!(await store.hosts.remove(request.params.id))) throw notFound('host', request.params.id);
      return reply.code(204).send(null);
    },
  );
};
