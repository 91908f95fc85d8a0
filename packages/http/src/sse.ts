/** Server-Sent Events on a hijacked Fastify reply. */
import type { FastifyReply } from 'fastify';

/** One SSE event: `data` may hold newlines (each line gets its own `data:` field). */
export interface SseEvent {
  id?: string | number | undefined;
  event?: string | undefined;
  data: string;
}

export interface SseStream {
  send(event: SseEvent): void;
  end(): void;
  /** Aborts when the client went away before `end()`. */
  readonly disconnected: AbortSignal;
}

/** The bytes of one event; a field is never written twice, so no doubled `data:` prefix can appear. */
export function formatEvent({ id, event, data }: SseEvent): string {
  let out = '';
  if (id !== undefined) out += `id: ${id}\n`;
  if (event !== undefined) out += `event: ${event}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Take the reply over and start an event stream, with a comment every `heartbeatMs` so proxies keep it open. */
export function openSse(reply: FastifyReply, heartbeatMs: number): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const disconnected = new AbortController();
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    if (!res.writableEnded) disconnected.abort(new Error('client disconnected'));
  });
  return {
    send: (event) => {
      if (!res.writableEnded && !res.destroyed) res.write(formatEvent(event));
    },
    end: () => {
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    },
    disconnected: disconnected.signal,
  };
}
