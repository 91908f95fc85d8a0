/**
 * `GET /runs/:id/events`: a run's progress as Server-Sent Events. Each event's `id` is its `seq`, so a client
 * that reconnects with `Last-Event-ID` gets only what it missed. The stream ends after `run-done` (or
 * `run-error`). A client that leaves only stops watching.
 */
import { RunNotFoundError } from '@swapbench/core/errors';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FeedEvent } from '../runs/registry.js';
import { errors, IdParams, SseAnswer } from '../schemas.js';
import { openSse, type SseStream } from '../sse.js';
import type { RouteContext } from './context.js';

const EventsQuery = z.strictObject({
  lastEventId: z.coerce.number().int().min(0).optional().describe('For clients that cannot set the Last-Event-ID header.'),
});
const EventsHeaders = z.looseObject({ 'last-event-id': z.coerce.number().int().min(0).optional() });

export const eventRoutes: FastifyPluginAsyncZod<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get(
    '/runs/:id/events',
    {
      schema: {
        summary: "A run's live progress (SSE), replayable with Last-Event-ID, ending with the final result",
        params: IdParams,
        querystring: EventsQuery,
        headers: EventsHeaders,
        produces: ['text/event-stream'],
        response: { 200: SseAnswer, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Sequence numbers start at 0: without Last-Event-ID, everything is replayed.
      const after = request.headers['last-event-id'] ?? request.query.lastEventId ?? -1;
      const live = ctx.runs.get(id);
      if (!live) {
        // Not started here, or its log is no longer kept: the stored result is all there is to send.
        const run = await ctx.options.store.runs.get(id);
        if (!run) throw new RunNotFoundError(id);
        const sse = openSse(reply, ctx.options.heartbeatMs);
        // Still running in another process (a CLI run on a shared store): what is stored so far, named as such,
        // so that a client reading `type` does not take it for the end of the run.
        const type = run.status === 'running' ? 'run-status' : 'run-done';
        sse.send({ event: type, data: JSON.stringify({ type, runId: id, result: run }) });
        sse.end();
        return reply;
      }
      const sse = openSse(reply, ctx.options.heartbeatMs);
      const { replay, stop } = ctx.runs.watch(live, after, (event) => forward(sse, event, stop));
      sse.disconnected.addEventListener('abort', stop, { once: true });
      for (const event of replay) forward(sse, event, stop);
      if (live.finished) sse.end();
      return reply;
    },
  );
};

function forward(sse: SseStream, event: FeedEvent, stop: () => void): void {
  sse.send({ id: event.seq, event: event.type, data: JSON.stringify(event) });
  if (event.type === 'run-done' || event.type === 'run-error') {
    stop();
    sse.end();
  }
}
