/** `POST /runs` (202 / 409 / takeover), `GET /runs` (history), `GET /runs/:id` (with verdicts), cancel. */
import { randomUUID } from 'node:crypto';
import type { ComparedInput, RunResult, Sample, Store } from '@swapbench/core';
import { suiteMaxInFlight } from '@swapbench/core';
import { ConfigError, RunNotFoundError } from '@swapbench/core/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { HttpError } from '../errors.js';
import { CancelAnswer, errors, IdParams, RunAccepted, RunDetail, RunDetailQuery, RunListQuery, RunPage, RunStartBody } from '../schemas.js';
import { type RouteContext, registeredHost, validSuite } from './context.js';

export const runRoutes: FastifyPluginAsyncZod<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { store, limits } = ctx.options;
  // Runs being set up (host access asked, transport opening): they count against the limit too.
  let starting = 0;

  app.post(
    '/runs',
    {
      schema: {
        summary: 'Start a run on a registered host',
        body: RunStartBody,
        response: { 202: RunAccepted, ...errors(400, 401, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (ctx.runs.unsettled().length + starting >= limits.concurrentRuns)
        throw new HttpError(429, 'TOO_MANY_RUNS', `${limits.concurrentRuns} run(s) already in progress; wait for one to end`);
      starting++;
      // A client that leaves while the host is asked for (`waitMs` can be an hour) takes its run with it: a run
      // started afterwards would hold the host with nobody knowing its id.
      const gone = new AbortController();
      const onClose = () => reply.raw.writableEnded || gone.abort(new Error('client disconnected before the run started'));
      reply.raw.on('close', onClose);
      const setup = AbortSignal.any([ctx.closing, gone.signal]);
      try {
        const host = await registeredHost(ctx, body.host, 'body.host');
        const suite = body.suiteName === undefined ? await validSuite(body.suite, 'body.suite') : await storedSuite(store, body.suiteName);
        // Refused here, as a 400 naming the field, rather than accepted (202) and then failed without a record.
        if (suite.workers !== 1 && !ctx.options.workerTransport)
          throw new ConfigError([
            {
              path: body.suiteName === undefined ? 'body.suite.workers' : `suites/${body.suiteName}.workers`,
              message: `is ${suite.workers}, but this server reaches hosts through its own transport, which worker threads cannot rebuild: use workers: 1`,
            },
          ]);
        const transport = await ctx.options.transport(host, { connections: suiteMaxInFlight(suite), signal: ctx.closing });
        const jobType = body.jobType ?? 'bench';
        // Asked here rather than inside runBenchSuite, so a refusal is this request's 409, not a failed run.
        const lease = await ctx.options
          .hostAccess(
            host,
            transport,
          )({ hostId: host.id, purpose: jobType, takeover: body.takeover, waitMs: body.waitMs, signal: setup })
          .catch(async (err: unknown) => {
            await transport.close();
            throw err;
          });
        if (gone.signal.aborted) {
          // Granted just as the client left: give the host back rather than run for nobody.
          await lease.release();
          await transport.close();
          throw gone.signal.reason;
        }
        const runId = randomUUID();
        const { runBenchSuite } = await import('@swapbench/core');
        ctx.runs.start(runId, host.id, async (signal, onEvent) => {
          try {
            return await runBenchSuite(suite, {
              transport,
              store,
              signal,
              onEvent,
              runId,
              hostId: host.id,
              jobType,
              hostAccess: async () => lease,
              // Worker threads (suite `workers` above 1) connect as this transport did, to the kind it found.
              ...(suite.workers !== 1 && ctx.options.workerTransport
                ? { workerTransport: ctx.options.workerTransport(host, transport) }
                : {}),
            });
          } finally {
            await lease.release();
            await transport.close();
          }
        });
        const location = `${app.prefix}/runs/${runId}`;
        return reply
          .code(202)
          .header('location', location)
          .send({ runId, status: 'running', events: `${location}/events` });
      } finally {
        reply.raw.off('close', onClose);
        starting--;
      }
    },
  );

  app.get(
    '/runs',
    { schema: { summary: 'Run history, newest first', querystring: RunListQuery, response: { 200: RunPage, ...errors(400, 401) } } },
    async (request) => {
      const { suite, host, ...rest } = request.query;
      const page = await store.runs
        .list({
          ...rest,
          ...(suite === undefined ? {} : { suiteName: suite }),
          ...(host === undefined ? {} : { hostId: host }),
        })
        .catch((err: unknown) => {
          // The store names the field (`cursor`); the client sent it in the query string.
          if (err instanceof ConfigError)
            throw new ConfigError(
              err.issues.map((i) => ({ ...i, path: `querystring.${i.path}` })),
              { cause: err },
            );
          throw err;
        });
      return asJson<z.infer<typeof RunPage>>(page.nextCursor === undefined ? { items: page.items } : page);
    },
  );

  app.get(
    '/runs/:id',
    {
      schema: {
        summary: 'One run: its cells (aggregates) and its verdicts against the baseline',
        params: IdParams,
        querystring: RunDetailQuery,
        response: { 200: RunDetail, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const live = ctx.runs.get(id);
      const run = await store.runs.get(id);
      if (!run) {
        if (live && !live.finished)
          return { run: { runId: id, status: 'running' as const, cells: [] }, live: true, baseline: null, comparison: null };
        throw new RunNotFoundError(id);
      }
      const verdicts = await againstBaseline(store, run, request.query.baseline);
      return asJson<z.infer<typeof RunDetail>>({ run, live: Boolean(live && !live.settled), ...verdicts });
    },
  );

  app.post(
    '/runs/:id/cancel',
    { schema: { summary: 'Cancel a run in progress', params: IdParams, response: { 202: CancelAnswer, ...errors(401, 404, 409) } } },
    async (request, reply) => {
      const { id } = request.params;
      const live = ctx.runs.get(id);
      if (live && !live.finished) {
        live.controller.abort(new Error('cancelled through the HTTP API'));
        return reply.code(202).send({ runId: id, status: 'cancelling' });
      }
      const run = await store.runs.get(id);
      if (!run) throw new RunNotFoundError(id);
      throw new HttpError(409, 'CONFLICT', `run ${id} is ${run.status}, not in progress in this server`);
    },
  );
};

/** Core's records as the response schema types them (loose objects): the same JSON, typed from the other side. */
function asJson<T>(value: unknown): T {
  return value as T;
}

async function storedSuite(store: Store, name: string) {
  const record = await store.suites.get(name);
  if (!record) throw new ConfigError([{ path: 'body.suiteName', message: `no suite named ${JSON.stringify(name)} is stored` }]);
  return validSuite(record.suite, `suites/${name}`);
}

/**
 * The run against its baseline: the one named, else the baseline of its server and suite as the CLI finds it
 * (`<suite>@<host>`, or under another name of the same server). Nothing to compare while it runs, when it is
 * the baseline itself, or when no such baseline is stored.
 */
async function againstBaseline(store: Store, run: RunResult, name: string | undefined) {
  const none = { baseline: null, comparison: null };
  const { findAutoBaseline } = await import('@swapbench/core');
  const baseline = name === undefined ? (await findAutoBaseline(store, run)).record : await store.baselines.get(name);
  if (!baseline) {
    if (name !== undefined) throw new HttpError(404, 'NOT_FOUND', `baseline ${JSON.stringify(name)} not found`);
    return none;
  }
  const ref = { name: baseline.name, runId: baseline.runId };
  if (run.status === 'running' || baseline.runId === run.runId) return { baseline: ref, comparison: null };
  const baseRun = await store.runs.get(baseline.runId);
  if (!baseRun) return { baseline: ref, comparison: null };
  const { compareRuns } = await import('@swapbench/core');
  const comparison = compareRuns(await compared(store, baseRun), await compared(store, run));
  return { baseline: ref, comparison };
}

async function compared(store: Store, run: RunResult): Promise<ComparedInput> {
  const samples: Sample[] = [];
  for await (const s of store.runs.samples(run.runId)) if (s.phase === 'measured') samples.push(s);
  return { run, samples };
}
