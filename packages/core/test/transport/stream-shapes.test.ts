/**
 * Stream shapes the simulator does not produce: cumulative token counts, other servers' quirks, old-build
 * error lines, llama-swap loading chunks, and timing on arrival. Served over loopback from msw handlers.
 */
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestTimeoutError, StreamProtocolError } from '../../src/errors/index.js';
import { createLlamaTransport } from '../../src/transport/llama/index.js';
import type { ServerKind, StreamRequest, Transport, TransportEvent } from '../../src/transport/transport.js';
import { chunkedBody, SSE_HEADERS, startMswServer, type MswServer } from './msw-loopback.js';
import { startRawServer, type RawServer } from './raw-server.js';

let server: MswServer | RawServer | undefined;
let transport: Transport | undefined;
afterEach(async () => {
  await transport?.close();
  await server?.close();
  server = undefined;
  transport = undefined;
});

const chat: StreamRequest = { endpoint: 'chat', messages: [{ role: 'user', content: 'hi' }], model: 'm', maxTokens: 8, sampling: {}, ignoreEos: true, cachePrompt: false };
const text: StreamRequest = { endpoint: 'completion', prompt: 'p', model: 'm', maxTokens: 8, sampling: {}, ignoreEos: true, cachePrompt: false };

const sse = (...events: string[]) => events.map((e) => `data: ${e}\n\n`).join('');
const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, finish_reason: finish, delta }], ...extra });

async function serveText(body: string | (() => ReadableStream<Uint8Array>), kind: ServerKind = 'llama-server') {
  const s = await startMswServer([http.post('*', () => new HttpResponse(typeof body === 'string' ? body : body(), { headers: SSE_HEADERS }))]);
  server = s;
  transport = createLlamaTransport({ baseUrl: s.url, kind, connections: 1 });
  return s;
}

async function collect(request: StreamRequest = chat): Promise<TransportEvent[]> {
  const out: TransportEvent[] = [];
  for await (const e of transport!.stream(request)) out.push(e);
  return out;
}

const deltas = (events: TransportEvent[]) => events.flatMap((e) => (e.type === 'delta' ? [[e.text, e.tokens, e.channel]] : []));

describe('token counts per chunk', () => {
  it('uses the step of cumulative timings (timings_per_token) when a chunk holds several tokens', async () => {
    const s = await serveText(
      sse(
        chunk({ role: 'assistant', content: null }, null, { timings: { predicted_n: 1 } }),
        chunk({ content: 'a' }, null, { timings: { predicted_n: 1 } }),
        chunk({ content: 'bcd' }, null, { timings: { predicted_n: 4 } }),
        chunk({ content: 'e' }, null, { timings: { predicted_n: 5 } }),
        chunk({}, 'length', { timings: { predicted_n: 5 } }),
        '[DONE]',
      ),
    );
    const events = await collect();
    expect(s.hits).toHaveLength(1);
    expect(deltas(events)).toEqual([
      ['a', 1, 'content'],
      ['bcd', 3, 'content'],
      ['e', 1, 'content'],
    ]);
  });

  it('uses vLLM continuous usage (cumulative completion_tokens)', async () => {
    const s = await serveText(
      sse(
        chunk({ content: 'ab' }, null, { usage: { completion_tokens: 2 } }),
        chunk({ content: 'c' }, null, { usage: { completion_tokens: 3 } }),
        chunk({}, 'length', { usage: { completion_tokens: 3 } }),
        '[DONE]',
      ),
      'openai',
    );
    expect(deltas(await collect())).toEqual([
      ['ab', 2, 'content'],
      ['c', 1, 'content'],
    ]);
    expect(s.hits).toHaveLength(1);
  });

  it('ignores the zeroed usage Ollama puts on every /v1/completions chunk', async () => {
    const ollama = (textPiece: string, finish: string | null, usage: object) =>
      JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: textPiece, index: 0, finish_reason: finish }], usage });
    const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const s = await serveText(
      sse(ollama('a', null, zero), ollama('b', null, zero), ollama('', 'length', zero), JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }), '[DONE]'),
      'openai',
    );
    const events = await collect(text);
    expect(s.hits.map((h) => h.path)).toEqual(['/v1/completions']);
    expect(deltas(events)).toEqual([
      ['a', 1, 'content'],
      ['b', 1, 'content'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'final', finishReason: 'length', usage: { completion_tokens: 2 }, timings: undefined });
  });
});

describe('quirks and errors inside the stream', () => {
  it('skips llama-swap loading-state chunks (no id, no object) so they do not start the TTFT clock', async () => {
    const loading = JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: 'loading model…' } }] });
    const s = await serveText(sse(loading, loading, chunk({ role: 'assistant', content: null }), chunk({ content: 'hi' }), chunk({}, 'length'), '[DONE]'), 'llama-swap');
    expect(deltas(await collect())).toEqual([['hi', 1, 'content']]);
    expect(s.hits).toHaveLength(1);
  });

  it('reads vLLM `reasoning` deltas as reasoning', async () => {
    const s = await serveText(sse(chunk({ reasoning: 'hmm' }), chunk({ content: 'ok' }), chunk({}, 'stop'), '[DONE]'), 'openai');
    expect(deltas(await collect())).toEqual([
      ['hmm', 1, 'reasoning'],
      ['ok', 1, 'content'],
    ]);
    expect(s.hits).toHaveLength(1);
  });

  it('throws the message of an old-build `error:` line instead of finishing at the [DONE] after it', async () => {
    const s = await serveText(`${sse(chunk({ content: 'a' }))}error: {"code":500,"message":"slot crashed","type":"server_error"}\n\n${sse('[DONE]')}`);
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('slot crashed');
    expect(s.hits).toHaveLength(1);
  });

  it('throws the message of a failed swap that llama-swap wrote into the stream without `data:`', async () => {
    const s = await serveText(`{"src":"llama-swap","error":"upstream command exited prematurely"}\n`, 'llama-swap');
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect((error as Error).message).toContain('exited prematurely');
    expect(s.hits).toHaveLength(1);
  });

  it('takes a last event that lacks its closing blank line', async () => {
    const s = await serveText(`${sse(chunk({ content: 'a' }), chunk({}, 'length'))}data: [DONE]`);
    expect((await collect()).at(-1)).toMatchObject({ type: 'final', finishReason: 'length' });
    expect(s.hits).toHaveLength(1);
  });

  it('a native stream that ends without its `stop: true` object is a StreamProtocolError', async () => {
    const s = await serveText(sse(JSON.stringify({ index: 0, content: 'a', tokens: [5], stop: false })));
    const error = await collect(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(s.hits.map((h) => h.path)).toEqual(['/completion']);
  });

  it('ignores `:` keep-alive comments', async () => {
    const s = await serveText(`:\n\n${sse(chunk({ content: 'a' }))}:\n\n${sse(chunk({}, 'length'), '[DONE]')}`);
    expect(deltas(await collect())).toEqual([['a', 1, 'content']]);
    expect(s.hits).toHaveLength(1);
  });
});

describe('timing', () => {
  it('stamps events when their bytes arrive, even if the consumer reads them later', async () => {
    const body = new TextEncoder().encode(sse(chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({ content: 'c' }), chunk({}, 'length'), '[DONE]'));
    const cuts = [...new TextDecoder().decode(body).matchAll(/data: /g)].map((m) => m.index);
    const s = await serveText(() => chunkedBody(body, cuts, 30));
    const events: TransportEvent[] = [];
    let readFrom = 0;
    for await (const e of transport!.stream(chat)) {
      events.push(e);
      if (e.type === 'response-start') {
        // A consumer busy for longer than the whole stream takes.
        await new Promise((r) => setTimeout(r, 250));
        readFrom = performance.now();
      }
    }
    const ats = events.filter((e) => e.type === 'delta').map((e) => e.at);
    expect(ats).toHaveLength(3);
    expect(ats[2]!).toBeLessThan(readFrom);
    // ~30 ms apart as sent, not bunched at the moment the consumer came back.
    expect(ats[2]! - ats[0]!).toBeGreaterThan(40);
    expect(s.hits).toHaveLength(1);
  });

  it('a consumer far behind pauses the response and still gets every event in order', async () => {
    const n = 2000;
    const parts = Array.from({ length: n }, (_, i) => chunk({ content: `t${i}` }));
    await serveText(sse(...parts, chunk({}, 'length'), '[DONE]'));
    const texts: string[] = [];
    let final: TransportEvent | undefined;
    for await (const e of transport!.stream(chat)) {
      // Slow at first: far more than the high-water mark of parsed events piles up meanwhile.
      if (texts.length === 0 && e.type === 'response-start') await new Promise((r) => setTimeout(r, 200));
      if (e.type === 'delta') texts.push(e.text);
      if (e.type === 'final') final = e;
    }
    expect(texts).toEqual(parts.map((_, i) => `t${i}`));
    expect(final).toMatchObject({ type: 'final', finishReason: 'length' });
  });

  it('a body silent for longer than bodyTimeoutMs → RequestTimeoutError(body)', async () => {
    const s = await startRawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const first = sse(chunk({ content: 'a' }));
      socket.write(`${Buffer.byteLength(first).toString(16)}\r\n${first}\r\n`);
      // …and nothing more.
    });
    server = s;
    transport = createLlamaTransport({ baseUrl: s.url, kind: 'llama-server', bodyTimeoutMs: 150 });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of transport!.stream(chat)) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ phase: 'body', timeoutMs: 150 });
    expect(seen).toEqual(['response-start', 'delta']);
  });
});
