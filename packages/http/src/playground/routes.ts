/**
 * `POST /playground/chat` and `/playground/chat-ab`: a person trying prompts, relayed as SSE. Both ask host
 * access with purpose `playground` (never exclusive), and a client that leaves aborts the upstream requests.
 */
import type { HostLease, HostRecord } from '@swapbench/core';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Agent } from 'undici';
import { HttpError } from '../errors.js';
import { type RouteContext, registeredHost } from '../routes/context.js';
import { ChatAbBody, ChatBody, errors, SseAnswer } from '../schemas.js';
import { openSse } from '../sse.js';
import { type ChatRequest, type OpenedStream, openChatStream, type RelayFigures, relayEvents } from './relay.js';

const LANES = ['a', 'b'] as const;

export const playgroundRoutes: FastifyPluginAsyncZod<{ ctx: RouteContext }> = async (app, { ctx }) => {
  // Its own connection pool: the playground never shares sockets with runs.
  const dispatcher = new Agent({ connect: { timeout: 10_000 }, headersTimeout: 300_000, bodyTimeout: 300_000 });
  app.addHook('onClose', async () => dispatcher.close());
  let open = 0;

  /** Host access, the upstream requests, the SSE relay, and the cleanup, for one or two lanes. */
  const relay = async (
    reply: FastifyReply,
    lanes: { host: HostRecord; chat: ChatRequest; name?: string }[],
    summary: (figures: RelayFigures[]) => unknown,
  ) => {
    if (open >= ctx.options.limits.playgroundStreams)
      throw new HttpError(429, 'TOO_MANY_RUNS', `${ctx.options.limits.playgroundStreams} playground streams already open`);
    open++;
    // Aborts when the client leaves (also before the stream starts) or the server closes.
    const gone = new AbortController();
    const onClose = () => reply.raw.writableEnded || gone.abort(new Error('client disconnected'));
    reply.raw.on('close', onClose);
    const signal = AbortSignal.any([gone.signal, ctx.closing]);
    const leases: HostLease[] = [];
    const streams: OpenedStream[] = [];
    try {
      for (const l of lanes)
        leases.push(await ctx.options.hostAccess(l.host, undefined)({ hostId: l.host.id, purpose: 'playground', signal }));
      const opened = await Promise.allSettled(lanes.map((l) => openChatStream(dispatcher, l.host, l.chat, signal)));
      for (const o of opened) if (o.status === 'fulfilled') streams.push(o.value);
      const failed = opened.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
      const sse = openSse(reply, ctx.options.heartbeatMs);
      try {
        const figures = await Promise.all(
          streams.map((s, i) => relayEvents(s, (e) => sse.send({ id: e.id, event: lanes[i]!.name ?? e.event, data: e.data }))),
        );
        sse.send({ event: 'summary', data: JSON.stringify(summary(figures)) });
      } catch (err) {
        if (!signal.aborted)
          sse.send({ event: 'error', data: JSON.stringify({ code: 'UPSTREAM_STREAM', message: (err as Error).message }) });
      } finally {
        sse.end();
      }
    } finally {
      // Whatever ended the relay, no upstream body is left open.
      for (const s of streams) s.body.destroy();
      reply.raw.off('close', onClose);
      await Promise.all(leases.map((l) => l.release()));
      open--;
    }
    return reply;
  };

  app.post(
    '/playground/chat',
    {
      schema: {
        summary: 'Relay one streaming chat completion (SSE), ending with TTFT and tok/s',
        body: ChatBody,
        produces: ['text/event-stream'],
        response: { 200: SseAnswer, ...errors(400, 401, 413, 429, 502) },
      },
    },
    async (request, reply) => {
      const { host: hostId, model, messages, maxTokens, sampling } = request.body;
      const host = await registeredHost(ctx, hostId, 'body.host');
      return relay(reply, [{ host, chat: { model, messages, maxTokens, sampling } }], ([f]) => ({ type: 'summary', model, ...f }));
    },
  );

  app.post(
    '/playground/chat-ab',
    {
      schema: {
        summary: 'Two models side by side (SSE): each event named by its lane (a, b), then per-lane TTFT and tok/s',
        body: ChatAbBody,
        produces: ['text/event-stream'],
        response: { 200: SseAnswer, ...errors(400, 401, 413, 429, 502) },
      },
    },
    async (request, reply) => {
      const { lanes, messages, maxTokens, sampling } = request.body;
      const hosts = await Promise.all(lanes.map((l, i) => registeredHost(ctx, l.host, `body.lanes[${i}].host`)));
      return relay(
        reply,
        lanes.map((l, i) => ({ host: hosts[i]!, name: LANES[i], chat: { model: l.model, messages, maxTokens, sampling } })),
        (figures) => ({
          type: 'summary',
          lanes: Object.fromEntries(figures.map((f, i) => [LANES[i], { host: lanes[i]!.host, model: lanes[i]!.model, ...f }])),
        }),
      );
    },
  );
};
