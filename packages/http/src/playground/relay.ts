/**
 * One streaming chat completion from a registered host, relayed event by event: each upstream SSE event is
 * parsed once (eventsource-parser) and handed on with its data untouched, while the figures the playground
 * shows (TTFT, tok/s) are taken from the arrival times.
 */
import type { HostRecord } from '@swapbench/core';
import { parseLlamaTimings } from '@swapbench/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type Dispatcher, request } from 'undici';
import { HttpError } from '../errors.js';

/** What one relayed completion measured, client side (and the server's own figures when it sent them). */
export interface RelayFigures {
  /** From sending the request to the first generated text, ms. */
  ttftMs: number | null;
  /** Generated chunks after the first, per second between the first and the last. */
  genTps: number | null;
  /** Chunks that carried generated text (llama.cpp sends one token per chunk). */
  tokens: number;
  e2eMs: number;
  finishReason: string | null;
  /** The server's own generation speed and token count, from its `timings` / `usage`. */
  serverGenTps: number | null;
  serverTokens: number | null;
}

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  maxTokens: number;
  sampling?: Record<string, unknown> | undefined;
}

/** An upstream stream whose headers arrived with a 2xx status. */
export interface OpenedStream {
  startedAt: number;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Send the chat request to the host's `/v1/chat/completions`. A non-2xx answer (a redirect included: they
 * are never followed, so a host cannot point the server elsewhere) is a 502 naming the host and status.
 */
export async function openChatStream(
  dispatcher: Dispatcher,
  host: HostRecord,
  chat: ChatRequest,
  signal: AbortSignal,
): Promise<OpenedStream> {
  const url = `${host.baseUrl.replace(/\/+$/, '')}/v1/chat/completions`;
  const payload = { ...chat.sampling, model: chat.model, messages: chat.messages, max_tokens: chat.maxTokens, stream: true };
  const startedAt = performance.now();
  const res = await request(url, {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(payload),
    signal,
  }).catch((err: unknown) => {
    if (signal.aborted) throw signal.reason;
    throw new HttpError(502, 'UPSTREAM_STATUS', `cannot reach host ${host.id}: ${(err as Error).message}`);
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const text = (await res.body.text().catch(() => '')).slice(0, 500);
    const redirect = res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : '';
    throw new HttpError(502, 'UPSTREAM_STATUS', `host ${host.id} answered HTTP ${res.statusCode}${redirect}`, {
      upstreamStatus: res.statusCode,
      upstreamBody: text,
    });
  }
  return { startedAt, body: res.body };
}

/** Read the stream to its end, handing each event to `onEvent` once; resolves with the figures. */
export async function relayEvents(stream: OpenedStream, onEvent: (event: EventSourceMessage) => void): Promise<RelayFigures> {
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  let tokens = 0;
  let finishReason: string | null = null;
  let server: ReturnType<typeof parseLlamaTimings> | undefined;
  let arrivedAt = 0;
  const parser = createParser({
    onEvent: (event) => {
      const chunk = parseChunk(event.data);
      if (chunk) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content ?? choice?.delta?.reasoning_content;
        if (typeof text === 'string' && text.length > 0) {
          tokens++;
          firstAt ??= arrivedAt;
          lastAt = arrivedAt;
        }
        if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
        if (chunk.timings || chunk.usage) server = parseLlamaTimings(chunk);
      }
      onEvent(event);
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of stream.body) {
    arrivedAt = performance.now();
    parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
  }
  parser.feed(decoder.decode());
  const end = performance.now();
  const spanMs = firstAt !== undefined && lastAt !== undefined ? lastAt - firstAt : 0;
  return {
    ttftMs: firstAt === undefined ? null : firstAt - stream.startedAt,
    genTps: tokens > 1 && spanMs > 0 ? ((tokens - 1) * 1000) / spanMs : null,
    tokens,
    e2eMs: end - stream.startedAt,
    finishReason,
    serverGenTps: server?.genTps ?? null,
    serverTokens: server?.generatedTokens ?? null,
  };
}

interface Chunk {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown }; finish_reason?: unknown }[];
  timings?: unknown;
  usage?: unknown;
}

/** Only the fields read here; `[DONE]` and anything that is not JSON pass through uncounted. */
function parseChunk(data: string): Chunk | undefined {
  if (data === '[DONE]') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Chunk) : undefined;
  } catch {
    return undefined;
  }
}
